// Package bench holds Quarry's benchmarks. Programs under bench/cmd run
// workloads against Quarry (and, where noted, MariaDB on the same machine)
// and print throughput, sizes and ratios.
package bench
