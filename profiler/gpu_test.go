package profiler_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/nlpscope/nlpscope/profiler"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeNVML implements the part of nvml.Interface the profiler uses; calls
// to anything else panic on the nil embedded interface.
type fakeNVML struct {
	nvml.Interface
	initRet  nvml.Return
	devices  []nvml.Device
	shutdown int
}

func (f *fakeNVML) Init() nvml.Return { return f.initRet }
func (f *fakeNVML) Shutdown() nvml.Return {
	f.shutdown++
	return nvml.SUCCESS
}
func (f *fakeNVML) DeviceGetCount() (int, nvml.Return) { return len(f.devices), nvml.SUCCESS }
func (f *fakeNVML) DeviceGetHandleByIndex(i int) (nvml.Device, nvml.Return) {
	if f.devices[i] == nil {
		return nil, nvml.ERROR_GPU_IS_LOST
	}
	return f.devices[i], nvml.SUCCESS
}
func (f *fakeNVML) SystemGetDriverVersion() (string, nvml.Return) { return "550.54.15", nvml.SUCCESS }
func (f *fakeNVML) ErrorString(r nvml.Return) string              { return r.Error() }

type fakeDevice struct {
	nvml.Device
	name      string
	util, mem uint32
	used, tot uint64
	temp, mW  uint32
	noPower   bool
}

func (d *fakeDevice) GetName() (string, nvml.Return) { return d.name, nvml.SUCCESS }
func (d *fakeDevice) GetUUID() (string, nvml.Return) { return "GPU-" + d.name, nvml.SUCCESS }
func (d *fakeDevice) GetUtilizationRates() (nvml.Utilization, nvml.Return) {
	return nvml.Utilization{Gpu: d.util, Memory: d.mem}, nvml.SUCCESS
}
func (d *fakeDevice) GetMemoryInfo() (nvml.Memory, nvml.Return) {
	return nvml.Memory{Total: d.tot, Used: d.used, Free: d.tot - d.used}, nvml.SUCCESS
}
func (d *fakeDevice) GetTemperature(nvml.TemperatureSensors) (uint32, nvml.Return) {
	return d.temp, nvml.SUCCESS
}
func (d *fakeDevice) GetPowerUsage() (uint32, nvml.Return) {
	if d.noPower {
		return 0, nvml.ERROR_NOT_SUPPORTED
	}
	return d.mW, nvml.SUCCESS
}

func TestNVMLThroughFake(t *testing.T) {
	lib := &fakeNVML{devices: []nvml.Device{
		&fakeDevice{name: "NVIDIA H100", util: 87, mem: 40, used: 10 << 30, tot: 80 << 30, temp: 61, mW: 312500},
		&fakeDevice{name: "NVIDIA T4", util: 3, used: 1 << 30, tot: 16 << 30, temp: 40, noPower: true},
		nil, // a device that fell off the bus
	}}
	src, err := profiler.NewNVMLSource(lib)
	if err != nil {
		t.Fatal(err)
	}
	g := profiler.ReadGPU(src)
	if !g.Available || g.Driver != "550.54.15" || len(g.Devices) != 3 {
		t.Fatalf("GPU stats = %+v", g)
	}
	h100 := g.Devices[0]
	if h100.Name != "NVIDIA H100" || h100.UtilizationPercent != 87 || h100.MemoryUtilPercent != 40 ||
		h100.MemoryUsedBytes != 10<<30 || h100.MemoryTotalBytes != 80<<30 || h100.TemperatureC != 61 ||
		h100.PowerWatts != 312.5 || len(h100.Unsupported) != 0 {
		t.Fatalf("device 0 = %+v", h100)
	}
	t4 := g.Devices[1]
	if t4.PowerWatts >= 0 || len(t4.Unsupported) != 1 || t4.Unsupported[0] != "power" || t4.Index != 1 {
		t.Fatalf("device 1 (no power reading) = %+v", t4)
	}
	if lost := g.Devices[2]; !strings.Contains(lost.Name, "unavailable") || lost.UtilizationPercent >= 0 {
		t.Fatalf("lost device = %+v", lost)
	}

	// The profiler uses the source, and Close shuts NVML down once.
	p, err := profiler.New(profiler.Config{DisableSystem: true, GPU: src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Sample(context.Background())
	if s := p.Snapshot(); !s.GPU.Available || len(s.GPU.Devices) != 3 || s.GPU.Devices[0].PowerWatts != 312.5 {
		t.Fatalf("snapshot GPU = %+v", s.GPU)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if lib.shutdown != 1 {
		t.Fatalf("NVML shut down %d times, want 1", lib.shutdown)
	}
}

func TestNoGPUPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		lib  *fakeNVML
		want string
	}{
		{"no library", &fakeNVML{initRet: nvml.ERROR_LIBRARY_NOT_FOUND}, "libnvidia-ml.so.1"},
		{"driver not loaded", &fakeNVML{initRet: nvml.ERROR_DRIVER_NOT_LOADED}, "ERROR_DRIVER_NOT_LOADED"},
		{"no device", &fakeNVML{}, "no device"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := profiler.NewNVMLSource(tc.lib)
			if !errors.Is(err, profiler.ErrNoGPU) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want ErrNoGPU mentioning %q", err, tc.want)
			}
		})
	}
}

// TestRealNVML runs the real NVML binding: on this machine without a driver
// it must report a clear no-GPU state; with a GPU it must list devices.
//
// scripts/gpu-check.sh sets NLPSCOPE_REQUIRE_GPU=1 on a GPU machine: then a
// missing GPU fails, and every device must report sane gauges.
func TestRealNVML(t *testing.T) {
	requireGPU := os.Getenv("NLPSCOPE_REQUIRE_GPU") == "1"
	src, err := profiler.OpenNVML()
	if err != nil {
		if !errors.Is(err, profiler.ErrNoGPU) {
			t.Fatalf("OpenNVML error %v does not wrap ErrNoGPU", err)
		}
		if requireGPU {
			t.Fatalf("NLPSCOPE_REQUIRE_GPU=1 but: %v", err)
		}
		t.Logf("no GPU: %v", err)
	} else {
		defer src.Close()
		g := profiler.ReadGPU(src)
		if !g.Available || len(g.Devices) == 0 {
			t.Fatalf("NVML opened but GPU state = %+v", g)
		}
		t.Logf("driver %s", g.Driver)
		for _, d := range g.Devices {
			t.Logf("GPU %d %s: util %.0f%%, mem util %.0f%%, memory %d/%d MiB, %.0f °C, %.1f W, unsupported %v",
				d.Index, d.Name, d.UtilizationPercent, d.MemoryUtilPercent, d.MemoryUsedBytes>>20, d.MemoryTotalBytes>>20,
				d.TemperatureC, d.PowerWatts, d.Unsupported)
			if d.Name == "" || d.MemoryTotalBytes <= 0 || d.MemoryUsedBytes > d.MemoryTotalBytes ||
				d.UtilizationPercent > 100 || d.TemperatureC > 150 {
				t.Errorf("device %d gauges out of range: %+v", d.Index, d)
			}
		}
	}

	// The profiler's default path: the same answer in the snapshot, and
	// sampling again neither fails nor changes the reason.
	p, err2 := profiler.New(profiler.Config{DisableSystem: true}, nil)
	if err2 != nil {
		t.Fatal(err2)
	}
	defer p.Close()
	p.Sample(context.Background())
	first := p.Snapshot().GPU
	p.Sample(context.Background())
	second := p.Snapshot().GPU
	if err != nil {
		if first.Available || first.Reason != err.Error() || second.Reason != first.Reason {
			t.Fatalf("no-GPU state = %+v then %+v, want reason %q", first, second, err)
		}
	} else {
		if !first.Available || !second.Available {
			t.Fatalf("GPU state = %+v then %+v", first, second)
		}
		// The Prometheus exposition carries the device gauges.
		n := testutil.CollectAndCount(p.Collector(), "nlpscope_gpu_memory_total_bytes")
		if n != len(second.Devices) {
			t.Fatalf("%d nlpscope_gpu_memory_total_bytes series for %d devices", n, len(second.Devices))
		}
	}
}

func TestFingerprint(t *testing.T) {
	h := profiler.Fingerprint(context.Background())
	if h.LogicalCores <= 0 || h.MemoryTotalBytes == 0 || h.OS == "" || h.Arch == "" || h.GoVersion == "" {
		t.Fatalf("fingerprint = %+v", h)
	}
	if len(h.GPUs) == 0 && h.GPUNote == "" {
		t.Fatalf("no GPU and no note: %+v", h)
	}
	if h.ID() != profiler.Fingerprint(context.Background()).ID() || len(h.ID()) != 12 {
		t.Fatalf("fingerprint ID unstable or malformed: %q", h.ID())
	}
	if !strings.Contains(h.String(), "cores") {
		t.Fatalf("String() = %q", h.String())
	}
}
