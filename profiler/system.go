package profiler

import (
	"context"
	"os"
	"runtime"
	"time"

	"github.com/shirou/gopsutil/v3/cpu"
	"github.com/shirou/gopsutil/v3/mem"
	"github.com/shirou/gopsutil/v3/process"
)

// SystemStats are the host and process gauges. CPU percentages are over the
// interval since the previous sample (0 on the first one). Fields that could
// not be read are 0 and named in Unavailable.
type SystemStats struct {
	SampledAt         time.Time `json:"sampled_at"`
	CPUPercent        float64   `json:"cpu_percent"`  // all cores, 0..100
	CPUPerCore        []float64 `json:"cpu_per_core"` // 0..100 each
	MemTotalBytes     uint64    `json:"mem_total_bytes"`
	MemUsedBytes      uint64    `json:"mem_used_bytes"`
	MemAvailableBytes uint64    `json:"mem_available_bytes"`
	MemPercent        float64   `json:"mem_percent"` // used, 0..100
	ProcessRSSBytes   uint64    `json:"process_rss_bytes"`
	Goroutines        int       `json:"goroutines"`
	OpenFiles         int       `json:"open_files"`
	Unavailable       []string  `json:"unavailable,omitempty"`
}

// systemSampler turns cumulative CPU times into utilisation between samples
// and reads this process's gauges through one gopsutil handle. It is owned by
// one Profiler (gopsutil's own Percent(0) keeps global state) and used by one
// goroutine at a time.
type systemSampler struct {
	lastTotal []cpu.TimesStat
	lastCores []cpu.TimesStat
	// proc is opened once and reused: process.NewProcess calls
	// os.FindProcess, which opens a pidfd that only the garbage collector
	// closes, so a handle per sample would hold one more descriptor a
	// second until the next GC.
	proc *process.Process
}

func busyPercent(prev, cur cpu.TimesStat) float64 {
	// Guest time is already part of User on Linux.
	total := func(t cpu.TimesStat) float64 {
		return t.User + t.System + t.Idle + t.Nice + t.Iowait + t.Irq + t.Softirq + t.Steal
	}
	idle := func(t cpu.TimesStat) float64 { return t.Idle + t.Iowait }
	dt := total(cur) - total(prev)
	if dt <= 0 {
		return 0
	}
	busy := dt - (idle(cur) - idle(prev))
	return clampPct(100 * busy / dt)
}

func clampPct(v float64) float64 {
	switch {
	case v < 0:
		return 0
	case v > 100:
		return 100
	}
	return v
}

func (c *systemSampler) sampleCPU(ctx context.Context, st *SystemStats) {
	tot, err := cpu.TimesWithContext(ctx, false)
	if err != nil || len(tot) == 0 {
		st.Unavailable = append(st.Unavailable, "cpu")
	} else {
		if len(c.lastTotal) == 1 {
			st.CPUPercent = busyPercent(c.lastTotal[0], tot[0])
		}
		c.lastTotal = tot
	}
	cores, err := cpu.TimesWithContext(ctx, true)
	if err != nil || len(cores) == 0 {
		st.Unavailable = append(st.Unavailable, "cpu_per_core")
		return
	}
	st.CPUPerCore = make([]float64, len(cores))
	if len(c.lastCores) == len(cores) {
		for i := range cores {
			st.CPUPerCore[i] = busyPercent(c.lastCores[i], cores[i])
		}
	}
	c.lastCores = cores
}

func (c *systemSampler) sample(ctx context.Context) SystemStats {
	var st SystemStats
	c.sampleCPU(ctx, &st)
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		st.MemTotalBytes, st.MemUsedBytes, st.MemAvailableBytes = vm.Total, vm.Used, vm.Available
		st.MemPercent = vm.UsedPercent
	} else {
		st.Unavailable = append(st.Unavailable, "memory")
	}
	st.Goroutines = runtime.NumGoroutine()
	if c.proc == nil {
		proc, err := process.NewProcessWithContext(ctx, int32(os.Getpid()))
		if err != nil {
			st.Unavailable = append(st.Unavailable, "process_rss", "open_files")
			return st
		}
		c.proc = proc
	}
	proc := c.proc
	if mi, err := proc.MemoryInfoWithContext(ctx); err == nil {
		st.ProcessRSSBytes = mi.RSS
	} else {
		st.Unavailable = append(st.Unavailable, "process_rss")
	}
	if n, err := proc.NumFDsWithContext(ctx); err == nil {
		st.OpenFiles = int(n)
	} else {
		st.Unavailable = append(st.Unavailable, "open_files")
	}
	return st
}
