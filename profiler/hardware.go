package profiler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"strings"

	"github.com/shirou/gopsutil/v3/cpu"
	"github.com/shirou/gopsutil/v3/host"
	"github.com/shirou/gopsutil/v3/mem"
)

// Hardware fingerprints the machine a run was measured on.
type Hardware struct {
	CPUModel         string    `json:"cpu_model"`
	LogicalCores     int       `json:"logical_cores"`
	PhysicalCores    int       `json:"physical_cores"`
	MemoryTotalBytes uint64    `json:"memory_total_bytes"`
	OS               string    `json:"os"`
	Platform         string    `json:"platform,omitempty"` // e.g. "debian 12.7"
	Kernel           string    `json:"kernel,omitempty"`
	Arch             string    `json:"arch"`
	GoVersion        string    `json:"go_version"`
	GPUs             []GPUInfo `json:"gpus,omitempty"`
	GPUNote          string    `json:"gpu_note,omitempty"` // why no GPU is listed
}

// GPUInfo is one GPU in a fingerprint.
type GPUInfo struct {
	Name             string `json:"name"`
	MemoryTotalBytes int64  `json:"memory_total_bytes"`
	Driver           string `json:"driver,omitempty"`
}

// Fingerprint reads the hardware fingerprint. Parts that cannot be read are
// left empty; it never fails.
func Fingerprint(ctx context.Context) Hardware {
	return fingerprint(ctx, OpenNVML)
}

func fingerprint(ctx context.Context, openGPU func() (GPUSource, error)) Hardware {
	h := Hardware{OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version(), LogicalCores: runtime.NumCPU()}
	if infos, err := cpu.InfoWithContext(ctx); err == nil && len(infos) > 0 {
		h.CPUModel = strings.TrimSpace(infos[0].ModelName)
	}
	if n, err := cpu.CountsWithContext(ctx, false); err == nil {
		h.PhysicalCores = n
	}
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		h.MemoryTotalBytes = vm.Total
	}
	if hi, err := host.InfoWithContext(ctx); err == nil {
		h.Platform = strings.TrimSpace(hi.Platform + " " + hi.PlatformVersion)
		h.Kernel = hi.KernelVersion
	}
	src, err := openGPU()
	if err != nil {
		h.GPUNote = err.Error()
		return h
	}
	defer src.Close()
	g := ReadGPU(src)
	if !g.Available {
		h.GPUNote = g.Reason
	}
	for _, d := range g.Devices {
		h.GPUs = append(h.GPUs, GPUInfo{Name: d.Name, MemoryTotalBytes: d.MemoryTotalBytes, Driver: g.Driver})
	}
	return h
}

// ID is a short hash of the fields that identify the machine's capacity
// (CPU model, cores, memory, GPUs), for grouping comparable runs.
func (h Hardware) ID() string {
	s := fmt.Sprintf("%s|%d|%d|%d|%s", h.CPUModel, h.LogicalCores, h.PhysicalCores, h.MemoryTotalBytes/(1<<30), h.Arch)
	for _, g := range h.GPUs {
		s += fmt.Sprintf("|%s:%d", g.Name, g.MemoryTotalBytes)
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// String is a one-line summary: "AMD EPYC 7B13, 2 cores, 7.8 GiB, no GPU".
func (h Hardware) String() string {
	s := fmt.Sprintf("%s, %d cores, %.1f GiB", orUnknown(h.CPUModel), h.LogicalCores, float64(h.MemoryTotalBytes)/(1<<30))
	if len(h.GPUs) == 0 {
		return s + ", no GPU"
	}
	for _, g := range h.GPUs {
		s += fmt.Sprintf(", %s (%.0f GiB)", g.Name, float64(g.MemoryTotalBytes)/(1<<30))
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown CPU"
	}
	return s
}
