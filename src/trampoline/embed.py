#!/usr/bin/env python3
"""Write a C source defining husk_trampoline_elf[] and husk_trampoline_elf_len from a binary file."""
import sys

data = open(sys.argv[1], 'rb').read()
with open(sys.argv[2], 'w') as out:
    out.write('/* Generated from husk-trampoline by embed.py. */\n#include <stddef.h>\n\n')
    out.write('extern const unsigned char husk_trampoline_elf[];\nextern const size_t husk_trampoline_elf_len;\n')
    out.write('const unsigned char husk_trampoline_elf[] = {\n')
    for i in range(0, len(data), 16):
        out.write('  ' + ', '.join('0x%02x' % b for b in data[i:i + 16]) + ',\n')
    out.write('};\nconst size_t husk_trampoline_elf_len = %d;\n' % len(data))
