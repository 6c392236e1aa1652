package bench

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
)

// Machine describes where the benchmarks ran.
type Machine struct {
	CPUs     int
	CPUModel string
	MemTotal string
	Kernel   string
	Go       string
	// Packages maps Debian packages and Go modules to their versions.
	Packages [][2]string
	// Load is /proc/loadavg when the run started and ended: the machine
	// may be shared.
	LoadStart, LoadEnd string
}

// Describe reads the machine's description.
func Describe() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	m.MemTotal = procField("/proc/meminfo", "MemTotal")
	m.Kernel = readTrim("/proc/sys/kernel/osrelease")
	m.LoadStart = readTrim("/proc/loadavg")
	for _, p := range []string{"iproute2", "bird2", "mininet", "python3", "openssh-server"} {
		m.Packages = append(m.Packages, [2]string{p, debVersion(p)})
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if strings.HasPrefix(d.Path, "github.com/vishvananda/") {
				m.Packages = append(m.Packages, [2]string{d.Path, d.Version})
			}
		}
	}
	return m
}

func debVersion(pkg string) string {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Status} ${Version}", pkg).Output()
	s := string(out)
	if err != nil || !strings.HasPrefix(s, "install ok installed ") {
		return "not installed"
	}
	return strings.TrimPrefix(s, "install ok installed ")
}

func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}
