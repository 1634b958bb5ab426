/* run_oci mode: husk invoked as `run_oci` takes ChromeOS run_oci's command line. */
#pragma once

/*
 * run_oci [-l DIR] COMMAND [OPTIONS] ID [-- ARGS...] with COMMAND run, start, kill or
 * destroy (run_oci --help has the rest). Returns the process exit status: the container's
 * for run, 0 on success otherwise, 255 (run_oci's -1) when husk fails.
 */
int run_oci_main(int argc, char **argv);
