package profiler

import (
	"errors"
	"fmt"
	"sync"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// ErrNoGPU is returned (wrapped, with the reason) when no GPU can be
// monitored: no NVML library, no driver, or no device.
var ErrNoGPU = errors.New("no GPU")

// GPUStats is the GPU state in a Snapshot. Without a usable GPU, Available
// is false and Reason says why.
type GPUStats struct {
	Available bool        `json:"available"`
	Reason    string      `json:"reason,omitempty"`
	Driver    string      `json:"driver,omitempty"`
	Devices   []GPUDevice `json:"devices,omitempty"`
}

// GPUDevice is one device's gauges. A gauge the device does not report is
// negative and its name is listed in Unsupported.
type GPUDevice struct {
	Index              int      `json:"index"`
	Name               string   `json:"name"`
	UUID               string   `json:"uuid,omitempty"`
	UtilizationPercent float64  `json:"utilization_percent"`        // SM busy, 0..100
	MemoryUtilPercent  float64  `json:"memory_utilization_percent"` // memory controller busy, 0..100
	MemoryUsedBytes    int64    `json:"memory_used_bytes"`
	MemoryTotalBytes   int64    `json:"memory_total_bytes"`
	TemperatureC       float64  `json:"temperature_c"`
	PowerWatts         float64  `json:"power_watts"`
	Unsupported        []string `json:"unsupported,omitempty"`
}

// GPUSource reads GPU gauges. Implementations must be safe for sequential
// use from one goroutine; Profiler serialises calls.
type GPUSource interface {
	// Driver names the driver version ("" when unknown).
	Driver() string
	// Devices returns one entry per device.
	Devices() ([]GPUDevice, error)
	Close() error
}

// ReadGPU reads src into GPUStats; an error becomes Available=false with
// the error as Reason.
func ReadGPU(src GPUSource) GPUStats {
	devs, err := src.Devices()
	if err != nil {
		return GPUStats{Reason: err.Error(), Driver: src.Driver()}
	}
	if len(devs) == 0 {
		return GPUStats{Reason: "no GPU device found", Driver: src.Driver()}
	}
	return GPUStats{Available: true, Driver: src.Driver(), Devices: devs}
}

// nvmlSource reads GPUs through NVML.
type nvmlSource struct {
	mu     sync.Mutex
	lib    nvml.Interface
	driver string
	closed bool
}

var _ GPUSource = (*nvmlSource)(nil)

// OpenNVML opens NVML from the system's libnvidia-ml.so.1. Without the
// library, a driver, or a device it returns an error wrapping ErrNoGPU that
// says which; it never panics.
func OpenNVML() (GPUSource, error) { return NewNVMLSource(nvml.New()) }

// NewNVMLSource initialises lib (the real nvml.New() or a fake) and returns
// a GPUSource over it.
func NewNVMLSource(lib nvml.Interface) (GPUSource, error) {
	if ret := lib.Init(); ret != nvml.SUCCESS {
		if ret == nvml.ERROR_LIBRARY_NOT_FOUND {
			return nil, fmt.Errorf("%w: NVML library (libnvidia-ml.so.1) not found (no NVIDIA driver)", ErrNoGPU)
		}
		return nil, fmt.Errorf("%w: NVML init: %s", ErrNoGPU, nvmlErr(lib, ret))
	}
	n, ret := lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		lib.Shutdown()
		return nil, fmt.Errorf("%w: NVML device count: %s", ErrNoGPU, nvmlErr(lib, ret))
	}
	if n == 0 {
		lib.Shutdown()
		return nil, fmt.Errorf("%w: NVML reports no device", ErrNoGPU)
	}
	s := &nvmlSource{lib: lib}
	if v, ret := lib.SystemGetDriverVersion(); ret == nvml.SUCCESS {
		s.driver = v
	}
	return s, nil
}

func nvmlErr(lib nvml.Interface, ret nvml.Return) string {
	if s := lib.ErrorString(ret); s != "" {
		return s
	}
	return fmt.Sprintf("NVML error %d", int(ret))
}

func (s *nvmlSource) Driver() string { return s.driver }

func (s *nvmlSource) Devices() ([]GPUDevice, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("%w: NVML closed", ErrNoGPU)
	}
	n, ret := s.lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		return nil, fmt.Errorf("NVML device count: %s", nvmlErr(s.lib, ret))
	}
	out := make([]GPUDevice, 0, n)
	for i := 0; i < n; i++ {
		d := GPUDevice{Index: i}
		dev, ret := s.lib.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			d.Name = "unavailable: " + nvmlErr(s.lib, ret)
			d.UtilizationPercent, d.MemoryUtilPercent, d.TemperatureC, d.PowerWatts = -1, -1, -1, -1
			d.MemoryUsedBytes, d.MemoryTotalBytes = -1, -1
			d.Unsupported = []string{"all"}
			out = append(out, d)
			continue
		}
		readDevice(dev, &d)
		out = append(out, d)
	}
	return out, nil
}

func readDevice(dev nvml.Device, d *GPUDevice) {
	miss := func(name string) { d.Unsupported = append(d.Unsupported, name) }
	if v, ret := dev.GetName(); ret == nvml.SUCCESS {
		d.Name = v
	}
	if v, ret := dev.GetUUID(); ret == nvml.SUCCESS {
		d.UUID = v
	}
	if u, ret := dev.GetUtilizationRates(); ret == nvml.SUCCESS {
		d.UtilizationPercent, d.MemoryUtilPercent = float64(u.Gpu), float64(u.Memory)
	} else {
		d.UtilizationPercent, d.MemoryUtilPercent = -1, -1
		miss("utilization")
	}
	if m, ret := dev.GetMemoryInfo(); ret == nvml.SUCCESS {
		d.MemoryUsedBytes, d.MemoryTotalBytes = int64(m.Used), int64(m.Total)
	} else {
		d.MemoryUsedBytes, d.MemoryTotalBytes = -1, -1
		miss("memory")
	}
	if t, ret := dev.GetTemperature(nvml.TEMPERATURE_GPU); ret == nvml.SUCCESS {
		d.TemperatureC = float64(t)
	} else {
		d.TemperatureC = -1
		miss("temperature")
	}
	if mw, ret := dev.GetPowerUsage(); ret == nvml.SUCCESS {
		d.PowerWatts = float64(mw) / 1000
	} else {
		d.PowerWatts = -1
		miss("power")
	}
}

func (s *nvmlSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if ret := s.lib.Shutdown(); ret != nvml.SUCCESS {
		return fmt.Errorf("NVML shutdown: %s", nvmlErr(s.lib, ret))
	}
	return nil
}
