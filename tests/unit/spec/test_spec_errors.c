/* Invalid configs: each one fails with exactly this message (JSON path + reason), and leaks nothing. */
#include <errno.h>

#include "spec_test.h"

/*
 * Cases are written with ' for " (neither JSON nor the messages below need a real ') and
 * wrapped in a minimal valid document by these macros.
 */
#define DOC(x) "{'ociVersion':'1.0.0'," x "}"
#define PROC(x) DOC("'process':{'cwd':'/','args':['a']," x "}")
#define LINUX(x) DOC("'linux':{" x "}")
#define RES(x) LINUX("'resources':{" x "}")
#define SECCOMP(x) LINUX("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW'," x "}")
#define MOUNT(x) DOC("'mounts':[{'destination':'/m'," x "}]")
#define HOOK(list, x) DOC("'hooks':{'" list "':[{'path':'/h'," x "}]}")
#define DEV(x) LINUX("'devices':[{'path':'/dev/x','type':'c','major':1,'minor':1," x "}]")
#define RULE(x) RES("'devices':[{'allow':true," x "}]")
#define SYSCALL(x) SECCOMP("'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW'," x "}]")
#define ARG(x) SYSCALL("'args':[{'index':0,'value':0,'op':'SCMP_CMP_EQ'," x "}]")

#define U64_RANGE "(0..18446744073709551615)"
#define U32_RANGE "(0..4294967295)"
/* uids and gids: (uid_t)-1 is "unchanged" to the kernel */
#define ID_RANGE "(0..4294967294)"
#define I64_RANGE "(-9223372036854775808..9223372036854775807)"

struct error_case {
        const char *input;
        const char *message; /* without the "config.json: " prefix */
};

static const struct error_case cases[] = {
    /* top level */
    {"{}", "ociVersion: missing required field"},
    {"{'ociVersion':null}", "ociVersion: missing required field"},
    {"{'ociVersion':['1']}", "ociVersion: expected a string, got an array"},
    {DOC("'root':{}"), "root.path: missing required field"},
    {DOC("'root':{'path':''}"), "root.path: must not be empty"},
    {DOC("'root':{'path':'r','readonly':'yes'}"), "root.readonly: expected a boolean, got a string"},
    {DOC("'root':[]"), "root: expected an object, got an array"},
    {DOC("'hostname':5"), "hostname: expected a string, got an integer"},
    {DOC("'domainname':true"), "domainname: expected a string, got a boolean"},
    {DOC("'annotations':{'a':'1','b':1}"), "annotations['b']: expected a string, got an integer"},
    {DOC("'annotations':{'':'x'}"), "annotations: keys must not be empty"},
    {DOC("'annotations':[]"), "annotations: expected an object, got an array"},
    {DOC("'mounts':{}"), "mounts: expected an array, got an object"},
    {DOC("'process':'x'"), "process: expected an object, got a string"},
    {DOC("'hooks':[]"), "hooks: expected an object, got an array"},
    {DOC("'linux':1.5"), "linux: expected an object, got a fractional number"},
    {"[]", "expected an object, got an array"},

    /* process */
    {DOC("'process':{'cwd':'/'}"), "process.args: missing required field"},
    {DOC("'process':{'cwd':'/','args':[]}"), "process.args: must not be empty"},
    {DOC("'process':{'cwd':'/','args':[1]}"), "process.args[0]: expected a string, got an integer"},
    {DOC("'process':{'cwd':'/','args':'sh'}"), "process.args: expected an array, got a string"},
    {DOC("'process':{'cwd':'/','args':['a',null]}"), "process.args[1]: expected a string, got null"},
    {DOC("'process':{'args':['a']}"), "process.cwd: missing required field"},
    {DOC("'process':{'args':['a'],'cwd':'rel'}"), "process.cwd: 'rel' is not an absolute path"},
    {DOC("'process':{'args':['a'],'cwd':''}"), "process.cwd: '' is not an absolute path"},
    {PROC("'terminal':1"), "process.terminal: expected a boolean, got an integer"},
    {PROC("'consoleSize':{'height':1}"), "process.consoleSize.width: missing required field"},
    {PROC("'consoleSize':{'width':1}"), "process.consoleSize.height: missing required field"},
    {PROC("'consoleSize':{'height':65536,'width':1}"), "process.consoleSize.height: 65536 is out of range (0..65535)"},
    {PROC("'consoleSize':[]"), "process.consoleSize: expected an object, got an array"},
    {PROC("'user':{'uid':-1}"), "process.user.uid: -1 is out of range " ID_RANGE},
    {PROC("'user':{'uid':4294967295}"), "process.user.uid: 4294967295 is out of range " ID_RANGE},
    {PROC("'user':{'gid':4294967295}"), "process.user.gid: 4294967295 is out of range " ID_RANGE},
    {PROC("'user':{'gid':1.0}"), "process.user.gid: expected an integer, got a fractional number"},
    {PROC("'user':{'gid':'0'}"), "process.user.gid: expected an integer, got a string"},
    {PROC("'user':{'umask':4294967296}"), "process.user.umask: 4294967296 is out of range (0..4294967295)"},
    {PROC("'user':{'umask':-1}"), "process.user.umask: -1 is out of range (0..4294967295)"},
    {PROC("'user':{'additionalGids':[1,-2]}"), "process.user.additionalGids[1]: -2 is out of range " ID_RANGE},
    {PROC("'user':{'additionalGids':[4294967295]}"),
     "process.user.additionalGids[0]: 4294967295 is out of range " ID_RANGE},
    {PROC("'user':{'additionalGids':{}}"), "process.user.additionalGids: expected an array, got an object"},
    {PROC("'user':{'username':1}"), "process.user.username: expected a string, got an integer"},
    {PROC("'user':1"), "process.user: expected an object, got an integer"},
    {PROC("'commandLine':1"), "process.commandLine: expected a string, got an integer"},
    {PROC("'env':['A=1',2]"), "process.env[1]: expected a string, got an integer"},
    {PROC("'capabilities':{'inheritable':[1]}"),
     "process.capabilities.inheritable[0]: expected a string, got an integer"},
    {PROC("'capabilities':{'permitted':'CAP_KILL'}"),
     "process.capabilities.permitted: expected an array, got a string"},
    {PROC("'capabilities':[]"), "process.capabilities: expected an object, got an array"},
    {PROC("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},{'type':'RLIMIT_FOO','soft':1,'hard':1}]"),
     "process.rlimits[1].type: unknown rlimit 'RLIMIT_FOO'"},
    {PROC("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},{'type':'RLIMIT_NOFILE','soft':2,'hard':2}]"),
     "process.rlimits[1].type: duplicate rlimit 'RLIMIT_NOFILE'"},
    {PROC("'rlimits':[{'soft':1,'hard':1}]"), "process.rlimits[0].type: missing required field"},
    {PROC("'rlimits':[{'type':'RLIMIT_CPU','hard':1}]"), "process.rlimits[0].soft: missing required field"},
    {PROC("'rlimits':[{'type':'RLIMIT_CPU','soft':1}]"), "process.rlimits[0].hard: missing required field"},
    {PROC("'rlimits':[{'type':'RLIMIT_CPU','soft':2,'hard':1}]"),
     "process.rlimits[0].soft: soft limit 2 is above the hard limit 1"},
    {PROC("'rlimits':[{'type':'RLIMIT_CPU','soft':-1,'hard':1}]"),
     "process.rlimits[0].soft: -1 is out of range " U64_RANGE},
    {PROC("'rlimits':[{'type':'RLIMIT_CPU','soft':1,'hard':18446744073709551616}]"),
     "process.rlimits[0].hard: 18446744073709551616 is out of range " U64_RANGE},
    {PROC("'rlimits':[5]"), "process.rlimits[0]: expected an object, got an integer"},
    {PROC("'rlimits':{}"), "process.rlimits: expected an array, got an object"},
    {PROC("'noNewPrivileges':'true'"), "process.noNewPrivileges: expected a boolean, got a string"},
    {PROC("'apparmorProfile':1"), "process.apparmorProfile: expected a string, got an integer"},
    {PROC("'selinuxLabel':[]"), "process.selinuxLabel: expected a string, got an array"},
    {PROC("'oomScoreAdj':1001"), "process.oomScoreAdj: 1001 is out of range (-1000..1000)"},
    {PROC("'oomScoreAdj':-1001"), "process.oomScoreAdj: -1001 is out of range (-1000..1000)"},
    {PROC("'oomScoreAdj':'0'"), "process.oomScoreAdj: expected an integer, got a string"},
    {PROC("'scheduler':{}"), "process.scheduler.policy: missing required field"},
    {PROC("'scheduler':{'policy':'SCHED_FOO'}"), "process.scheduler.policy: unknown scheduler policy 'SCHED_FOO'"},
    {PROC("'scheduler':{'policy':'SCHED_OTHER','nice':20}"), "process.scheduler.nice: 20 is out of range (-20..19)"},
    {PROC("'scheduler':{'policy':'SCHED_OTHER','nice':-21}"), "process.scheduler.nice: -21 is out of range (-20..19)"},
    {PROC("'scheduler':{'policy':'SCHED_FIFO','priority':100}"),
     "process.scheduler.priority: 100 is out of range (0..99)"},
    {PROC("'scheduler':{'policy':'SCHED_FIFO','flags':['SCHED_FLAG_FOO']}"),
     "process.scheduler.flags[0]: unknown scheduler flag 'SCHED_FLAG_FOO'"},
    {PROC("'scheduler':{'policy':'SCHED_DEADLINE','runtime':-1}"),
     "process.scheduler.runtime: -1 is out of range " U64_RANGE},
    {PROC("'scheduler':{'policy':'SCHED_DEADLINE','deadline':'1'}"),
     "process.scheduler.deadline: expected an integer, got a string"},
    {PROC("'scheduler':{'policy':'SCHED_DEADLINE','period':1.5}"),
     "process.scheduler.period: expected an integer, got a fractional number"},
    {PROC("'ioPriority':{'priority':1}"), "process.ioPriority.class: missing required field"},
    {PROC("'ioPriority':{'class':'IOPRIO_CLASS_NONE'}"),
     "process.ioPriority.class: unknown ioPriority class 'IOPRIO_CLASS_NONE'"},
    {PROC("'ioPriority':{'class':'IOPRIO_CLASS_RT','priority':8}"),
     "process.ioPriority.priority: 8 is out of range (0..7)"},
    {PROC("'ioPriority':{'class':'IOPRIO_CLASS_RT','priority':-1}"),
     "process.ioPriority.priority: -1 is out of range (0..7)"},
    {PROC("'execCPUAffinity':{'initial':'0-'}"),
     "process.execCPUAffinity.initial: invalid list '0-' (expected e.g. '0-3,7')"},
    {PROC("'execCPUAffinity':{'final':'3-1'}"),
     "process.execCPUAffinity.final: invalid list '3-1' (expected e.g. '0-3,7')"},
    {PROC("'execCPUAffinity':{'final':'1,'}"),
     "process.execCPUAffinity.final: invalid list '1,' (expected e.g. '0-3,7')"},
    {PROC("'execCPUAffinity':{'final':',1'}"),
     "process.execCPUAffinity.final: invalid list ',1' (expected e.g. '0-3,7')"},
    {PROC("'execCPUAffinity':{'final':'a'}"),
     "process.execCPUAffinity.final: invalid list 'a' (expected e.g. '0-3,7')"},
    {PROC("'execCPUAffinity':{'final':'0-7:0/4'}"),
     "process.execCPUAffinity.final: invalid list '0-7:0/4' (expected e.g. '0-3,7')"},
    {PROC("'execCPUAffinity':{'final':'0-7:5/4'}"),
     "process.execCPUAffinity.final: invalid list '0-7:5/4' (expected e.g. '0-3,7')"},
    {PROC("'execCPUAffinity':{'final':'99999999999'}"),
     "process.execCPUAffinity.final: invalid list '99999999999' (expected e.g. '0-3,7')"},
    {PROC("'execCPUAffinity':{'initial':1}"), "process.execCPUAffinity.initial: expected a string, got an integer"},

    /* mounts */
    {DOC("'mounts':[{}]"), "mounts[0].destination: missing required field"},
    {DOC("'mounts':[{'destination':''}]"), "mounts[0].destination: must not be empty"},
    {DOC("'mounts':[{'destination':'/a'},{'destination':2}]"),
     "mounts[1].destination: expected a string, got an integer"},
    {DOC("'mounts':['/a']"), "mounts[0]: expected an object, got a string"},
    {MOUNT("'type':1"), "mounts[0].type: expected a string, got an integer"},
    {MOUNT("'source':{}"), "mounts[0].source: expected a string, got an object"},
    {MOUNT("'options':'ro'"), "mounts[0].options: expected an array, got a string"},
    {MOUNT("'options':['ro',1]"), "mounts[0].options[1]: expected a string, got an integer"},
    {MOUNT("'uidMappings':[{'containerID':0,'hostID':0}]"), "mounts[0].uidMappings[0].size: missing required field"},
    {MOUNT("'uidMappings':[{'containerID':-1,'hostID':0,'size':1}]"),
     "mounts[0].uidMappings[0].containerID: -1 is out of range " U32_RANGE},
    {MOUNT("'gidMappings':{}"), "mounts[0].gidMappings: expected an array, got an object"},
    {MOUNT("'performInIntermediateNamespace':'yes'"),
     "mounts[0].performInIntermediateNamespace: expected a boolean, got a string"},

    /* hooks */
    {DOC("'hooks':{'prestart':[{}]}"), "hooks.prestart[0].path: missing required field"},
    {DOC("'hooks':{'createRuntime':[{'path':'rel'}]}"), "hooks.createRuntime[0].path: 'rel' is not an absolute path"},
    {HOOK("createContainer", "'timeout':0"), "hooks.createContainer[0].timeout: 0 is out of range (1..2147483647)"},
    {HOOK("startContainer", "'timeout':-5"), "hooks.startContainer[0].timeout: -5 is out of range (1..2147483647)"},
    {HOOK("startContainer", "'timeout':2147483648"),
     "hooks.startContainer[0].timeout: 2147483648 is out of range (1..2147483647)"},
    {HOOK("poststart", "'args':'x'"), "hooks.poststart[0].args: expected an array, got a string"},
    {HOOK("poststop", "'env':[1]"), "hooks.poststop[0].env[0]: expected a string, got an integer"},
    {DOC("'hooks':{'poststop':{}}"), "hooks.poststop: expected an array, got an object"},
    {DOC("'hooks':{'poststop':[1]}"), "hooks.poststop[0]: expected an object, got an integer"},

    /* linux */
    {LINUX("'namespaces':[{}]"), "linux.namespaces[0].type: missing required field"},
    {LINUX("'namespaces':[{'type':'net'}]"), "linux.namespaces[0].type: unknown namespace type 'net'"},
    {LINUX("'namespaces':[{'type':'pid'},{'type':'uts'},{'type':'pid','path':'/proc/1/ns/pid'}]"),
     "linux.namespaces[2].type: duplicate namespace 'pid'"},
    {LINUX("'namespaces':[{'type':'pid','path':1}]"), "linux.namespaces[0].path: expected a string, got an integer"},
    {LINUX("'namespaces':{}"), "linux.namespaces: expected an array, got an object"},
    {LINUX("'namespaces':['pid']"), "linux.namespaces[0]: expected an object, got a string"},
    {LINUX("'uidMappings':[{'hostID':0,'size':1}]"), "linux.uidMappings[0].containerID: missing required field"},
    {LINUX("'uidMappings':[{'containerID':0,'size':1}]"), "linux.uidMappings[0].hostID: missing required field"},
    {LINUX("'uidMappings':[{'containerID':0,'hostID':0,'size':4294967296}]"),
     "linux.uidMappings[0].size: 4294967296 is out of range " U32_RANGE},
    {LINUX("'gidMappings':[1]"), "linux.gidMappings[0]: expected an object, got an integer"},
    {LINUX("'timeOffsets':{'realtime':{}}"),
     "linux.timeOffsets: unknown clock 'realtime' (expected 'boottime' or 'monotonic')"},
    {LINUX("'timeOffsets':{'boottime':{'nanosecs':1000000000}}"),
     "linux.timeOffsets['boottime'].nanosecs: 1000000000 is out of range (0..999999999)"},
    {LINUX("'timeOffsets':{'monotonic':{'secs':'1'}}"),
     "linux.timeOffsets['monotonic'].secs: expected an integer, got a string"},
    {LINUX("'timeOffsets':{'boottime':5}"), "linux.timeOffsets['boottime']: expected an object, got an integer"},
    {LINUX("'timeOffsets':[]"), "linux.timeOffsets: expected an object, got an array"},
    {LINUX("'devices':[{'type':'c'}]"), "linux.devices[0].path: missing required field"},
    {LINUX("'devices':[{'path':'dev/x','type':'c'}]"), "linux.devices[0].path: 'dev/x' is not an absolute path"},
    {LINUX("'devices':[{'path':'/dev/x'}]"), "linux.devices[0].type: missing required field"},
    {LINUX("'devices':[{'path':'/dev/x','type':'x'}]"),
     "linux.devices[0].type: unknown device type 'x' (expected 'c', 'b', 'u' or 'p')"},
    {LINUX("'devices':[{'path':'/dev/x','type':'cb'}]"),
     "linux.devices[0].type: unknown device type 'cb' (expected 'c', 'b', 'u' or 'p')"},
    {LINUX("'devices':[{'path':'/dev/x','type':''}]"),
     "linux.devices[0].type: unknown device type '' (expected 'c', 'b', 'u' or 'p')"},
    {LINUX("'devices':[{'path':'/dev/x','type':'c','minor':1}]"), "linux.devices[0].major: missing required field"},
    {LINUX("'devices':[{'path':'/dev/x','type':'b','major':1}]"), "linux.devices[0].minor: missing required field"},
    {LINUX("'devices':[{'path':'/dev/x','type':'u','major':1}]"), "linux.devices[0].minor: missing required field"},
    {DEV("'major':4096"), "linux.devices[0].major: 4096 is out of range (0..4095)"},
    {DEV("'minor':-1"), "linux.devices[0].minor: -1 is out of range (0..1048575)"},
    {DEV("'fileMode':4096"), "linux.devices[0].fileMode: 4096 (010000) is the mode of a fifo, not of type 'c'"},
    {DEV("'fileMode':25014"), "linux.devices[0].fileMode: 25014 (060666) is the mode of a block device, not of type 'c'"},
    {DEV("'fileMode':-1"), "linux.devices[0].fileMode: -1 is out of range " U32_RANGE},
    {DEV("'fileMode':4294967296"), "linux.devices[0].fileMode: 4294967296 is out of range " U32_RANGE},
    {DEV("'uid':-1"), "linux.devices[0].uid: -1 is out of range " ID_RANGE},
    {DEV("'gid':4294967295"), "linux.devices[0].gid: 4294967295 is out of range " ID_RANGE},
    {LINUX("'netDevices':{'eth0':{'name':'a/b'}}"), "linux.netDevices['eth0'].name: invalid network device name 'a/b'"},
    {LINUX("'netDevices':{'eth0':{'name':'a b'}}"), "linux.netDevices['eth0'].name: invalid network device name 'a b'"},
    {LINUX("'netDevices':{'this-name-is-too-long':{}}"),
     "linux.netDevices['this-name-is-too-long']: invalid network device name 'this-name-is-too-long'"},
    {LINUX("'netDevices':{'..':{}}"), "linux.netDevices['..']: invalid network device name '..'"},
    {LINUX("'netDevices':{'':{}}"), "linux.netDevices['']: invalid network device name ''"},
    {LINUX("'netDevices':{'eth0':5}"), "linux.netDevices['eth0']: expected an object, got an integer"},
    {LINUX("'netDevices':{'eth0':{'name':1}}"), "linux.netDevices['eth0'].name: expected a string, got an integer"},
    {LINUX("'netDevices':[]"), "linux.netDevices: expected an object, got an array"},
    {LINUX("'cgroupsPath':1"), "linux.cgroupsPath: expected a string, got an integer"},
    {LINUX("'rootfsPropagation':'rshred'"), "linux.rootfsPropagation: unknown mount propagation 'rshred'"},
    {LINUX("'rootfsPropagation':'r'"), "linux.rootfsPropagation: unknown mount propagation 'r'"},
    {LINUX("'sysctl':{'a':1}"), "linux.sysctl['a']: expected a string, got an integer"},
    {LINUX("'sysctl':[]"), "linux.sysctl: expected an object, got an array"},
    {LINUX("'maskedPaths':['proc/kcore']"), "linux.maskedPaths[0]: 'proc/kcore' is not an absolute path"},
    {LINUX("'readonlyPaths':['/a',1]"), "linux.readonlyPaths[1]: expected a string, got an integer"},
    {LINUX("'readonlyPaths':['/a','']"), "linux.readonlyPaths[1]: '' is not an absolute path"},
    {LINUX("'mountLabel':1"), "linux.mountLabel: expected a string, got an integer"},
    {LINUX("'personality':{}"), "linux.personality.domain: missing required field"},
    {LINUX("'personality':{'domain':'LINUX64'}"), "linux.personality.domain: unknown personality domain 'LINUX64'"},
    {LINUX("'personality':{'domain':'LINUX','flags':'x'}"), "linux.personality.flags: expected an array, got a string"},
    {LINUX("'memoryPolicy':{}"), "linux.memoryPolicy.mode: missing required field"},
    {LINUX("'memoryPolicy':{'mode':'MPOL_FOO'}"), "linux.memoryPolicy.mode: unknown memory policy mode 'MPOL_FOO'"},
    {LINUX("'memoryPolicy':{'mode':'MPOL_BIND'}"), "linux.memoryPolicy.nodes: missing required field"},
    {LINUX("'memoryPolicy':{'mode':'MPOL_BIND','nodes':''}"), "linux.memoryPolicy.nodes: missing required field"},
    {LINUX("'memoryPolicy':{'mode':'MPOL_DEFAULT','nodes':'0'}"),
     "linux.memoryPolicy.nodes: must be empty for MPOL_DEFAULT and MPOL_LOCAL"},
    {LINUX("'memoryPolicy':{'mode':'MPOL_LOCAL','nodes':'0'}"),
     "linux.memoryPolicy.nodes: must be empty for MPOL_DEFAULT and MPOL_LOCAL"},
    {LINUX("'memoryPolicy':{'mode':'MPOL_BIND','nodes':'0-'}"),
     "linux.memoryPolicy.nodes: invalid list '0-' (expected e.g. '0-3,7')"},
    {LINUX("'memoryPolicy':{'mode':'MPOL_PREFERRED','flags':['MPOL_F_FOO']}"),
     "linux.memoryPolicy.flags[0]: unknown memory policy flag 'MPOL_F_FOO'"},
    {LINUX("'memoryPolicy':{'mode':'MPOL_BIND','nodes':'0','flags':['MPOL_F_STATIC_NODES','MPOL_F_RELATIVE_NODES']}"),
     "linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other"},
    {LINUX("'intelRdt':{'closID':'../x'}"), "linux.intelRdt.closID: invalid CLOS name '../x'"},
    {LINUX("'intelRdt':{'closID':'..'}"), "linux.intelRdt.closID: invalid CLOS name '..'"},
    {LINUX("'intelRdt':{'schemata':5}"), "linux.intelRdt.schemata: expected an array, got an integer"},
    {LINUX("'intelRdt':{'schemata':['L3:0=f',1]}"), "linux.intelRdt.schemata[1]: expected a string, got an integer"},
    {LINUX("'intelRdt':{'enableCMT':'y'}"), "linux.intelRdt.enableCMT: expected a boolean, got a string"},
    {LINUX("'intelRdt':{'l3CacheSchema':1}"), "linux.intelRdt.l3CacheSchema: expected a string, got an integer"},

    /* linux.resources */
    {LINUX("'resources':[]"), "linux.resources: expected an object, got an array"},
    {RES("'devices':[{}]"), "linux.resources.devices[0].allow: missing required field"},
    {RES("'devices':[{'allow':1}]"), "linux.resources.devices[0].allow: expected a boolean, got an integer"},
    {RULE("'type':'x'"), "linux.resources.devices[0].type: unknown device type 'x' (expected 'a', 'c' or 'b')"},
    {RULE("'type':'p'"), "linux.resources.devices[0].type: unknown device type 'p' (expected 'a', 'c' or 'b')"},
    {RULE("'major':-2"), "linux.resources.devices[0].major: -2 is out of range (-1..4294967295)"},
    {RULE("'minor':4294967296"), "linux.resources.devices[0].minor: 4294967296 is out of range (-1..4294967295)"},
    {RULE("'access':'rwx'"), "linux.resources.devices[0].access: invalid access 'rwx' (expected letters of 'rwm')"},
    {RULE("'access':1"), "linux.resources.devices[0].access: expected a string, got an integer"},
    {RES("'memory':{'limit':'1'}"), "linux.resources.memory.limit: expected an integer, got a string"},
    {RES("'memory':{'reservation':9223372036854775808}"),
     "linux.resources.memory.reservation: 9223372036854775808 is out of range " I64_RANGE},
    {RES("'memory':{'swappiness':101}"), "linux.resources.memory.swappiness: 101 is out of range (0..100)"},
    {RES("'memory':{'swappiness':-1}"), "linux.resources.memory.swappiness: -1 is out of range " U64_RANGE},
    {RES("'memory':{'disableOOMKiller':1}"),
     "linux.resources.memory.disableOOMKiller: expected a boolean, got an integer"},
    {RES("'memory':{'checkBeforeUpdate':'no'}"),
     "linux.resources.memory.checkBeforeUpdate: expected a boolean, got a string"},
    {RES("'memory':1"), "linux.resources.memory: expected an object, got an integer"},
    {RES("'cpu':{'shares':-1}"), "linux.resources.cpu.shares: -1 is out of range " U64_RANGE},
    {RES("'cpu':{'cpus':'0-a'}"), "linux.resources.cpu.cpus: invalid list '0-a' (expected e.g. '0-3,7')"},
    {RES("'cpu':{'mems':'0,,1'}"), "linux.resources.cpu.mems: invalid list '0,,1' (expected e.g. '0-3,7')"},
    {RES("'cpu':{'quota':1.5}"), "linux.resources.cpu.quota: expected an integer, got a fractional number"},
    {RES("'cpu':{'idle':'x'}"), "linux.resources.cpu.idle: expected an integer, got a string"},
    {RES("'cpu':{'realtimePeriod':-1}"), "linux.resources.cpu.realtimePeriod: -1 is out of range " U64_RANGE},
    {RES("'cpu':{'burst':true}"), "linux.resources.cpu.burst: expected an integer, got a boolean"},
    {RES("'pids':{'limit':'max'}"), "linux.resources.pids.limit: expected an integer, got a string"},
    {RES("'blockIO':{'weight':65536}"), "linux.resources.blockIO.weight: 65536 is out of range (0..65535)"},
    {RES("'blockIO':{'leafWeight':-1}"), "linux.resources.blockIO.leafWeight: -1 is out of range (0..65535)"},
    {RES("'blockIO':{'weightDevice':[{'major':8}]}"),
     "linux.resources.blockIO.weightDevice[0].minor: missing required field"},
    {RES("'blockIO':{'weightDevice':[{'minor':8}]}"),
     "linux.resources.blockIO.weightDevice[0].major: missing required field"},
    {RES("'blockIO':{'weightDevice':[{'major':-1,'minor':0}]}"),
     "linux.resources.blockIO.weightDevice[0].major: -1 is out of range (0..4294967295)"},
    {RES("'blockIO':{'weightDevice':[{'major':8,'minor':0,'weight':70000}]}"),
     "linux.resources.blockIO.weightDevice[0].weight: 70000 is out of range (0..65535)"},
    {RES("'blockIO':{'throttleReadBpsDevice':[{'major':8,'minor':0,'rate':-1}]}"),
     "linux.resources.blockIO.throttleReadBpsDevice[0].rate: -1 is out of range " U64_RANGE},
    {RES("'blockIO':{'throttleWriteBpsDevice':[{'minor':0}]}"),
     "linux.resources.blockIO.throttleWriteBpsDevice[0].major: missing required field"},
    {RES("'blockIO':{'throttleReadIOPSDevice':[1]}"),
     "linux.resources.blockIO.throttleReadIOPSDevice[0]: expected an object, got an integer"},
    {RES("'blockIO':{'throttleWriteIOPSDevice':{}}"),
     "linux.resources.blockIO.throttleWriteIOPSDevice: expected an array, got an object"},
    {RES("'hugepageLimits':[{'pageSize':'2M','limit':1}]"),
     "linux.resources.hugepageLimits[0].pageSize: invalid page size '2M' (expected e.g. '2MB')"},
    {RES("'hugepageLimits':[{'pageSize':'02MB','limit':1}]"),
     "linux.resources.hugepageLimits[0].pageSize: invalid page size '02MB' (expected e.g. '2MB')"},
    {RES("'hugepageLimits':[{'pageSize':'2MB'}]"), "linux.resources.hugepageLimits[0].limit: missing required field"},
    {RES("'hugepageLimits':[{'limit':1}]"), "linux.resources.hugepageLimits[0].pageSize: missing required field"},
    {RES("'network':{'classID':-1}"), "linux.resources.network.classID: -1 is out of range " U32_RANGE},
    {RES("'network':{'priorities':[{'name':'eth0'}]}"),
     "linux.resources.network.priorities[0].priority: missing required field"},
    {RES("'network':{'priorities':[{'priority':1}]}"),
     "linux.resources.network.priorities[0].name: missing required field"},
    {RES("'rdma':{'mlx':{'hcaHandles':-1}}"), "linux.resources.rdma['mlx'].hcaHandles: -1 is out of range " U32_RANGE},
    {RES("'rdma':{'mlx':1}"), "linux.resources.rdma['mlx']: expected an object, got an integer"},
    {RES("'unified':{'memory.max':1}"), "linux.resources.unified['memory.max']: expected a string, got an integer"},

    /* linux.seccomp */
    {LINUX("'seccomp':{}"), "linux.seccomp.defaultAction: missing required field"},
    {LINUX("'seccomp':{'defaultAction':'SCMP_ACT_FOO'}"),
     "linux.seccomp.defaultAction: unknown seccomp action 'SCMP_ACT_FOO'"},
    {LINUX("'seccomp':{'defaultAction':'SCMP_ACT_NOTIFY','listenerPath':'/x'}"),
     "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
    {SECCOMP("'defaultErrnoRet':1"),
     "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno"},
    {LINUX("'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':-1}"),
     "linux.seccomp.defaultErrnoRet: -1 is out of range " U32_RANGE},
    {SECCOMP("'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_FOO']"),
     "linux.seccomp.architectures[1]: unknown seccomp architecture 'SCMP_ARCH_FOO'"},
    {SECCOMP("'flags':['SECCOMP_FILTER_FLAG_FOO']"),
     "linux.seccomp.flags[0]: unknown seccomp flag 'SECCOMP_FILTER_FLAG_FOO'"},
    {SECCOMP("'flags':'SECCOMP_FILTER_FLAG_LOG'"), "linux.seccomp.flags: expected an array, got a string"},
    {SECCOMP("'listenerPath':1"), "linux.seccomp.listenerPath: expected a string, got an integer"},
    {SECCOMP("'listenerMetadata':{}"), "linux.seccomp.listenerMetadata: expected a string, got an object"},
    {SECCOMP("'syscalls':[{}]"), "linux.seccomp.syscalls[0].names: missing required field"},
    {SECCOMP("'syscalls':[{'names':[],'action':'SCMP_ACT_ALLOW'}]"),
     "linux.seccomp.syscalls[0].names: must not be empty"},
    {SECCOMP("'syscalls':[{'names':['read',''],'action':'SCMP_ACT_ALLOW'}]"),
     "linux.seccomp.syscalls[0].names[1]: must not be empty"},
    {SECCOMP("'syscalls':[{'names':['read']}]"), "linux.seccomp.syscalls[0].action: missing required field"},
    {SECCOMP("'syscalls':[{'names':['read'],'action':'ALLOW'}]"),
     "linux.seccomp.syscalls[0].action: unknown seccomp action 'ALLOW'"},
    {SYSCALL("'errnoRet':1"),
     "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno"},
    {ARG("'index':6"), "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0..5)"},
    {SYSCALL("'args':[{'index':0,'op':'SCMP_CMP_EQ'}]"),
     "linux.seccomp.syscalls[0].args[0].value: missing required field"},
    {SYSCALL("'args':[{'index':0,'value':1}]"), "linux.seccomp.syscalls[0].args[0].op: missing required field"},
    {SYSCALL("'args':[{'value':1,'op':'SCMP_CMP_EQ'}]"),
     "linux.seccomp.syscalls[0].args[0].index: missing required field"},
    {ARG("'op':'SCMP_CMP_FOO'"), "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator 'SCMP_CMP_FOO'"},
    {ARG("'valueTwo':-1"), "linux.seccomp.syscalls[0].args[0].valueTwo: -1 is out of range " U64_RANGE},
    {SYSCALL("'args':{}"), "linux.seccomp.syscalls[0].args: expected an array, got an object"},
    {SECCOMP(
         "'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW'},{'names':['mkdir'],'action':'SCMP_ACT_NOTIFY'}]"),
     "linux.seccomp.listenerPath: required when a syscall uses SCMP_ACT_NOTIFY"},
    {SECCOMP("'listenerPath':'','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_NOTIFY'}]"),
     "linux.seccomp.listenerPath: required when a syscall uses SCMP_ACT_NOTIFY"},

    /* values in messages are escaped to one line and cut when long */
    {PROC("'rlimits':[{'type':'RLIMIT_\\n\\u0001\\\\','soft':1,'hard':1}]"),
     "process.rlimits[0].type: unknown rlimit 'RLIMIT_\\x0a\\x01\\\\'"},
    {PROC("'rlimits':[{'type':'RLIMIT_"
          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA','soft':1,'hard':1}]"),
     "process.rlimits[0].type: unknown rlimit "
     "'RLIMIT_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...'"},
    {PROC("'rlimits':[{'type':'RLIMIT_ééééééééééééééééééééééééééééééééééééééé','soft':1,'hard':1}]"),
     "process.rlimits[0].type: unknown rlimit 'RLIMIT_ééééééééééééééééééééééééééééééééééé...'"},
    /* runtime-spec 1.2 rules husk enforces (config.md, config-linux.md) */
    {"{'ociVersion':'1'}", "ociVersion: '1' is not a SemVer 2.0.0 version"},
    {"{'ociVersion':'1.0.02'}", "ociVersion: '1.0.02' is not a SemVer 2.0.0 version"},
    {"{'ociVersion':'1.0.0-01'}", "ociVersion: '1.0.0-01' is not a SemVer 2.0.0 version"},
    {"{'ociVersion':'1.0.0+'}", "ociVersion: '1.0.0+' is not a SemVer 2.0.0 version"},
    {"{'ociVersion':'2.0.0'}", "ociVersion: version '2.0.0' is not supported: husk implements runtime-spec 1.x"},
    {"{'ociVersion':'0.5.0'}", "ociVersion: version '0.5.0' is not supported: husk implements runtime-spec 1.x"},
    {DOC("'linux':{'namespaces':[{'type':'network','path':'proc/1/ns/net'}]}"),
     "linux.namespaces[0].path: 'proc/1/ns/net' is not an absolute path"},
    {DOC("'linux':{'resources':{'blockIO':{'weightDevice':[{'major':8,'minor':0}]}}}"),
     "linux.resources.blockIO.weightDevice[0]: needs weight or leafWeight"},
    {DOC("'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','listenerMetadata':'x'}}"),
     "linux.seccomp.listenerMetadata: set without listenerPath"},
    {DOC("'annotations':{'a\\'b':1}"), "annotations['a\\'b']: expected a string, got an integer"},
};

static char *unquote(const char *s)
{
        char *out = strdup(s);
        assert_non_null(out);
        for (char *p = out; *p; p++)
                if (*p == '\'')
                        *p = '"';
        return out;
}

static void run_case(void **state)
{
        const struct error_case *c = *state;
        char *input = unquote(c->input), *message = unquote(c->message), *expected = NULL;
        assert_true(asprintf(&expected, "config.json: %s", message) > 0);
        parse_fails(input, expected);
        free(input);
        free(message);
        free(expected);
}

/* Malformed JSON: jansson's own text with line and column. */
static void test_malformed(void **state)
{
        parse_fails("{\"ociVersion\": \"1\",\n  \"process\": {\n    x\n}}",
                    "config.json: line 3, column 5: string or '}' expected near 'x'");
        parse_fails("", "config.json: line 1, column 0: '[' or '{' expected near end of file");
        parse_fails("{\"ociVersion\": \"1\"", "config.json: line 1, column 18: '}' expected near end of file");
        parse_fails("{\"ociVersion\": \"1\"} x", "config.json: line 1, column 21: end of file expected near 'x'");
        parse_fails("{\"ociVersion\": \"\\u0000\"}", "config.json: line 1, column 23: \\u0000 is not allowed");
        parse_fails("{\"ociVersion\": \"\xff\"}",
                    "config.json: line 1, column 16: unable to decode byte 0xff near '\"'");
        parse_fails("{\"ociVersion\": 1e999}", "config.json: line 1, column 20: real number overflow near '1e999'");
        /* with a long literal in the document the NUL check is ours, with the same position */
        parse_fails("{\"ociVersion\": \"1\", \"a\": 12345678901234567890, \"b\": \"\\u0000\"}",
                    "config.json: line 1, column 60: \\u0000 is not allowed");

        /* Seccomp rules that are not JSON, which a parse told that rules are unknown (parse_fails tries
         * that too) first passes over: the error is where the rules break, before any later one. */
#define RULES(x)                                                                                                       \
        "{\"ociVersion\":\"1.0.0\"," x "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
        parse_fails(RULES("\"hostname\":5,") "[1 2]}}}", "config.json: line 1, column 103: ']' expected near '2'");
        parse_fails(RULES("") "[]}}, x}", "config.json: line 1, column 93: string or '}' expected near 'x'");
        parse_fails(RULES("") "[\"a\tb\"]}},\"hostname\":5}",
                    "config.json: line 1, column 89: control character 0x9 near '\"a'");
        parse_fails(RULES("") "[\"]\"}]}}}", "config.json: line 1, column 91: ']' expected near '}'");
        parse_fails(RULES("") "[\"\xff\"]}}}", "config.json: line 1, column 88: unable to decode byte 0xff near '\"'");

        /* not NUL-terminated: only len bytes are read */
        const char text[] = "{\"ociVersion\":\"1.0.0\"}garbage";
        struct husk_spec *spec = NULL;
        struct husk_error *err = NULL;
        assert_int_equal(husk_spec_parse(text, 22, NULL, &spec, &err), 0);
        husk_spec_free(spec);
        assert_int_equal(husk_spec_parse(NULL, 0, "x.json", &spec, &err), -EINVAL);
        assert_string_equal(err->msg, "x.json: line 1, column 0: '[' or '{' expected near end of file");
        husk_error_free(err);
}

/* The hook is asked only about the one rules' array the seccomp object holds, and trusted. */
static void test_rules_hook(void **state)
{
        (void)state;
        static const struct {
                const char *text;
                int calls;
        } hooked[] = {
            {RULES("") "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}", 1},
            {RULES("") "[]}}}", 1},
            {"{\"ociVersion\":\"1.0.0\",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}}", 0},
            /* replaced: by null, by another array (two were passed over), with the whole seccomp object */
            {RULES("") "[],\"syscalls\":null}}}", 0},
            {RULES("") "[],\"syscalls\":[]}}}", 0},
            {RULES("") "[]},\"seccomp\":null}}", 0},
            /* not passed over where the text holds long literals (parsed with JSON_ALLOW_NUL then) */
            {RULES("\"x\":123456789012345678901,") "[]}}}", 0},
        };
        for (size_t i = 0; i < ARRAY_SIZE(hooked); i++) {
                for (int known = 0; known < 2; known++) {
                        struct rules_hook hook = {.known = known};
                        const struct husk_spec_parse_options opts = {.rules_known = rules_hook_answer, .data = &hook};
                        struct husk_spec *spec = NULL;
                        struct husk_error *err = NULL;
                        const char *text = hooked[i].text;
                        assert_int_equal(husk_spec_parse_with(text, strlen(text), NULL, &opts, &spec, &err), 0);
                        assert_int_equal(hook.calls, hooked[i].calls);
                        husk_spec_free(spec);
                }
        }

        /* a hook that vouches is believed: rules that are not JSON are not looked at */
        const char *text = RULES("") "[1 2, {:}]}}}";
        struct rules_hook hook = {.known = true};
        const struct husk_spec_parse_options opts = {.rules_known = rules_hook_answer, .data = &hook};
        struct husk_spec *spec = NULL;
        struct husk_error *err = NULL;
        assert_int_equal(husk_spec_parse_with(text, strlen(text), NULL, &opts, &spec, &err), 0);
        assert_int_equal(hook.calls, 1);
        assert_string_equal(spec->linux_.seccomp.syscalls_json, "{\"syscalls\":[1 2, {:}]}");
        husk_spec_free(spec);
}

/* Deep nesting is refused by jansson, not by the C stack. */
static void test_deep_nesting(void **state)
{
        size_t depth = 100000, len = 0;
        char *text = malloc(depth * 2 + 64);
        assert_non_null(text);
        len += (size_t)sprintf(text, "{\"ociVersion\":\"1\",\"x\":");
        for (size_t i = 0; i < depth; i++)
                text[len++] = '[';
        for (size_t i = 0; i < depth; i++)
                text[len++] = ']';
        text[len++] = '}';
        text[len] = '\0';
        struct husk_spec *spec = NULL;
        struct husk_error *err = NULL;
        assert_int_equal(husk_spec_parse(text, len, NULL, &spec, &err), -EINVAL);
        assert_non_null(strstr(err->msg, "maximum parsing depth reached"));
        husk_error_free(err);
        free(text);
}

int main(void)
{
        size_t n = ARRAY_SIZE(cases);
        struct CMUnitTest *tests = calloc(n + 3, sizeof(*tests));
        assert_non_null(tests);
        for (size_t i = 0; i < n; i++) {
                tests[i].name = cases[i].message;
                tests[i].test_func = run_case;
                tests[i].initial_state = (void *)&cases[i];
        }
        tests[n].name = "malformed";
        tests[n].test_func = test_malformed;
        tests[n + 1].name = "deep_nesting";
        tests[n + 1].test_func = test_deep_nesting;
        tests[n + 2].name = "rules_hook";
        tests[n + 2].test_func = test_rules_hook;
        int r = _cmocka_run_group_tests("spec_errors", tests, n + 3, NULL, NULL);
        free(tests);
        return r;
}
