// Package profiler is nlpscope's measurement package.
//
// A Profiler keeps live statistics: HDR latency histograms per operation and
// per engine stage over rolling windows (the last 1 s, 10 s and 60 s, and
// since start), throughput, batch sizes, cache hit rate, error counts by kind,
// gauges the application supplies (queue depth) and system gauges (CPU,
// memory, process, GPU through NVML when a driver is present). Snapshot
// returns a small JSON payload for a live view; Collector exposes the same
// data to Prometheus.
//
// LoadTest drives a Target (an in-process function or an HTTP endpoint) in
// open loop (a constant or ramped arrival rate, latency measured from each
// request's intended send time so that coordinated omission is not hidden) or
// closed loop (N virtual users) and returns a Report with percentiles, a
// per-second series, errors by kind and k6-style thresholds.
//
// profiler imports neither engine nor storage nor app: app adapts
// engine.Observer to Profiler and storage to RunStore.
package profiler
