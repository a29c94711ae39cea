package divisions

// Table returns the embedded table as generated, for benchmarks and tools.
func Table() string { return table }
