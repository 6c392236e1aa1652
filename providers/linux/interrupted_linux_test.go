package linux

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers"
	"github.com/vishvananda/netlink"
)

// These tests put the host in the states that a netlab killed in the
// middle of a provider call leaves, one window at a time, and check that
// the next observation and calls recover without leaking or duplicating
// anything and without touching what is not the lab's.

func interruptedLab(daemons ...plan.Daemon) *plan.Lab {
	lab := &plan.Lab{Name: "hardint", Jails: []plan.Jail{
		{Name: "hint1", Addr: "jail.hint1", Hostname: "hint1"},
		{Name: "hint2", Addr: "jail.hint2", Hostname: "hint2"},
	}, Links: []plan.Link{testLink("hint1-hint2", "hint1", "hint2", "10.93.12", true)}}
	lab.Daemons = daemons
	lab.Sort()
	return lab
}

func observe(t *testing.T, p *Provider, lab *plan.Lab) *plan.Observation {
	t.Helper()
	obs, err := p.Observe(context.Background(), lab)
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	if len(obs.Clashes) > 0 {
		t.Fatalf("Observe reports clashes for what the lab left itself: %+v", obs.Clashes)
	}
	return obs
}

func TestInterruptedJailCreate(t *testing.T) {
	ctx := context.Background()
	t.Run("placeholder-before-mount", func(t *testing.T) {
		// The marker is written, the name's file made, the mount not yet.
		lab := interruptedLab()
		p := newTestProvider(t, lab)
		t.Cleanup(func() { removePlaceholder(t, "hint1") })
		if err := p.writeMarker(marker{Lab: lab.Name, Jail: "hint1", Netns: 1}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(netnsPath("hint1"), nil, 0o444); err != nil {
			t.Fatal(err)
		}
		if obs := observe(t, p, lab); len(obs.Lab.Jails) != 0 {
			t.Fatalf("a half-made jail is observed: %+v", obs.Lab.Jails)
		}
		if _, err := p.CreateJail(ctx, lab.Name, lab.Jails[0]); err != nil {
			t.Fatalf("CreateJail over the placeholder: %v", err)
		}
		if obs := observe(t, p, lab); len(obs.Lab.Jails) != 1 {
			t.Fatalf("after CreateJail, observed %+v", obs.Lab.Jails)
		}
	})
	t.Run("directory-without-marker", func(t *testing.T) {
		// The UTS namespace is bound, the marker not written yet.
		lab := interruptedLab()
		p := newTestProvider(t, lab)
		if err := os.MkdirAll(p.jailDir(lab.Name, "hint1"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := bindNS("/proc/self/ns/uts", p.utsPath(lab.Name, "hint1")); err != nil {
			t.Fatal(err)
		}
		if err := p.Sync(ctx, lab.Name, nil); err != nil {
			t.Fatalf("Sync: %v", err)
		}
		if _, err := os.Lstat(p.labDir(lab.Name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the lab's runtime directory remains: %v", err)
		}
	})
}

// removePlaceholder removes the empty file a test left at a namespace's
// name, never a mounted namespace.
func removePlaceholder(t *testing.T, jail string) {
	var st syscall.Statfs_t
	if syscall.Statfs(netnsPath(jail), &st) == nil && st.Type != 0x6e736673 {
		os.Remove(netnsPath(jail))
	}
}

func TestInterruptedLinkCreate(t *testing.T) {
	ctx := context.Background()
	for _, tagged := range []int{0, 1} {
		t.Run("ends-tagged-"+strconv.Itoa(tagged), func(t *testing.T) {
			lab := interruptedLab()
			p := newTestProvider(t, lab)
			for _, j := range lab.Jails {
				if _, err := p.CreateJail(ctx, lab.Name, j); err != nil {
					t.Fatal(err)
				}
			}
			want := lab.Links[0]
			if err := p.writeClaim(lab.Name, want); err != nil {
				t.Fatal(err)
			}
			halfMadeVeth(t, p, lab.Name, want, tagged)

			obs := observe(t, p, lab)
			if len(obs.Lab.Links) != 1 || obs.Lab.Links[0].Broken != brokenClaimed {
				t.Fatalf("want the half-made link observed as broken, got %+v", obs.Lab.Links)
			}
			if err := p.DestroyLink(ctx, lab.Name, obs.Lab.Links[0]); err != nil {
				t.Fatalf("DestroyLink of the half-made link: %v", err)
			}
			if c, ok := p.linkClaims(lab.Name)[want.Name]; ok {
				t.Errorf("the claim remains after DestroyLink: %+v", c)
			}
			if obs := observe(t, p, lab); len(obs.Lab.Links) != 0 {
				t.Fatalf("after DestroyLink, observed %+v", obs.Lab.Links)
			}
			if _, err := p.CreateLink(ctx, lab.Name, want); err != nil {
				t.Fatalf("CreateLink after the repair: %v", err)
			}
			if obs := observe(t, p, lab); len(obs.Lab.Links) != 1 || obs.Lab.Links[0].Broken != "" {
				t.Fatalf("after CreateLink, observed %+v", obs.Lab.Links)
			}
		})
	}
	t.Run("claim-without-interfaces", func(t *testing.T) {
		lab := interruptedLab()
		p := newTestProvider(t, lab)
		for _, j := range lab.Jails {
			if _, err := p.CreateJail(ctx, lab.Name, j); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.writeClaim(lab.Name, lab.Links[0]); err != nil {
			t.Fatal(err)
		}
		if obs := observe(t, p, lab); len(obs.Lab.Links) != 0 {
			t.Fatalf("a claim alone is observed as a link: %+v", obs.Lab.Links)
		}
		if _, err := p.CreateLink(ctx, lab.Name, lab.Links[0]); err != nil {
			t.Fatal(err)
		}
		if c, ok := p.linkClaims(lab.Name)[lab.Links[0].Name]; ok {
			t.Errorf("the claim remains after CreateLink: %+v", c)
		}
	})
}

// halfMadeVeth creates the link's veth pair as LinkAdd leaves it, with
// only the first tagged ends carrying their alias.
func halfMadeVeth(t *testing.T, p *Provider, lab string, l plan.Link, tagged int) {
	t.Helper()
	ns, err := p.linkJails(lab, l, true)
	if err != nil {
		t.Fatal(err)
	}
	veth := &netlink.Veth{
		LinkAttrs: netlink.LinkAttrs{Name: l.Ends[0].Iface, Namespace: netlink.NsFd(ns[0].fd), TxQLen: -1},
		PeerName:  l.Ends[1].Iface, PeerNamespace: netlink.NsFd(ns[1].fd), PeerTxQLen: -1,
	}
	if err := ns[0].h.LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	for i := range tagged {
		end, err := ns[i].h.LinkByName(l.Ends[i].Iface)
		if err == nil {
			err = ns[i].h.LinkSetAlias(end, linkAlias(lab, l.Name, i))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestInterruptedDaemonStart(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{plan.KindRIP, plan.KindSSHD} {
		t.Run("unrecorded-"+kind, func(t *testing.T) {
			// The daemon runs, but its pid never reached the record.
			d := plan.Daemon{Jail: "hint1", Name: "d", Addr: "daemon.hint1.d", Kind: kind}
			lab := interruptedLab(d)
			p := newTestProvider(t, lab)
			if _, err := p.CreateJail(ctx, lab.Name, lab.Jails[0]); err != nil {
				t.Fatal(err)
			}
			started, err := p.StartDaemon(ctx, lab.Name, d)
			if err != nil {
				t.Fatal(err)
			}
			pid, _ := strconv.Atoi(started.IDs["pid"])
			s, err := p.readSpec(lab.Name, d.Jail, d.Name)
			if err != nil {
				t.Fatal(err)
			}
			s.Pid, s.Start = 0, 0
			if err := p.writeSpec(s); err != nil {
				t.Fatal(err)
			}

			obs := observe(t, p, lab)
			if len(obs.Lab.Daemons) != 1 || obs.Lab.Daemons[0].IDs["pid"] != strconv.Itoa(pid) {
				t.Fatalf("want the unrecorded daemon pid %d adopted, observed %+v", pid, obs.Lab.Daemons)
			}
			if err := p.StopDaemon(ctx, lab.Name, obs.Lab.Daemons[0]); err != nil {
				t.Fatal(err)
			}
			if hasProcess(pid, p.jailDir(lab.Name, d.Jail)) {
				t.Errorf("pid %d still runs after StopDaemon", pid)
			}
		})
	}
	t.Run("pid-file-before-a-starting-process", func(t *testing.T) {
		// The daemon runs and wrote its pid file; a process of a start
		// cut short still carries its tag and leads a process group, as
		// the first process of a forking daemon does for an instant.
		// sshd shows no tag of its own (it overwrites its environment).
		d := plan.Daemon{Jail: "hint1", Name: "ssh", Addr: "daemon.hint1.ssh", Kind: plan.KindSSHD}
		lab := interruptedLab(d)
		p := newTestProvider(t, lab)
		if _, err := p.CreateJail(ctx, lab.Name, lab.Jails[0]); err != nil {
			t.Fatal(err)
		}
		started, err := p.StartDaemon(ctx, lab.Name, d)
		if err != nil {
			t.Fatal(err)
		}
		s, err := p.readSpec(lab.Name, d.Jail, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		s.Pid, s.Start = 0, 0
		if err := p.writeSpec(s); err != nil {
			t.Fatal(err)
		}
		startTaggedLeader(t, p.daemonTag(lab.Name, d.Jail, d.Name))
		obs := observe(t, p, lab)
		if len(obs.Lab.Daemons) != 1 || obs.Lab.Daemons[0].IDs["pid"] != started.IDs["pid"] {
			t.Fatalf("observed %+v, want the daemon's own pid %s", obs.Lab.Daemons, started.IDs["pid"])
		}
	})
	t.Run("leftover-of-a-start", func(t *testing.T) {
		// A process of the daemon's, not yet the daemon, outlived netlab.
		d := plan.Daemon{Jail: "hint1", Name: "rip", Addr: "daemon.hint1.rip", Kind: plan.KindRIP}
		lab := interruptedLab(d)
		p := newTestProvider(t, lab)
		if _, err := p.CreateJail(ctx, lab.Name, lab.Jails[0]); err != nil {
			t.Fatal(err)
		}
		left := startTagged(t, p.daemonTag(lab.Name, d.Jail, d.Name))
		if _, err := p.StartDaemon(ctx, lab.Name, d); err != nil {
			t.Fatalf("StartDaemon with a leftover of an earlier start: %v", err)
		}
		if alive(left) {
			t.Errorf("the leftover pid %d still runs", left.Process.Pid)
		}
	})
	t.Run("unrecorded-in-destroyed-jail", func(t *testing.T) {
		lab := interruptedLab()
		p := newTestProvider(t, lab)
		j, err := p.CreateJail(ctx, lab.Name, lab.Jails[0])
		if err != nil {
			t.Fatal(err)
		}
		left := startTagged(t, p.daemonTag(lab.Name, "hint1", "ghost"))
		if err := p.DestroyJail(ctx, lab.Name, j); err != nil {
			t.Fatal(err)
		}
		if alive(left) {
			t.Errorf("a process tagged for the jail outlived DestroyJail: pid %d", left.Process.Pid)
		}
	})
	t.Run("pid-file-of-a-foreign-process", func(t *testing.T) {
		// The daemon died and its pid went to a process that is not the
		// lab's: nothing may touch it.
		d := plan.Daemon{Jail: "hint1", Name: "rip", Addr: "daemon.hint1.rip", Kind: plan.KindRIP}
		lab := interruptedLab(d)
		p := newTestProvider(t, lab)
		j, err := p.CreateJail(ctx, lab.Name, lab.Jails[0])
		if err != nil {
			t.Fatal(err)
		}
		foreign := startTagged(t, "")
		if err := os.MkdirAll(p.jailDir(lab.Name, d.Jail), 0o755); err != nil {
			t.Fatal(err)
		}
		pidFile := p.daemonFile(lab.Name, d.Jail, d.Name, "pid")
		if err := os.WriteFile(pidFile, []byte(strconv.Itoa(foreign.Process.Pid)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := p.writeSpec(daemonSpec{Lab: lab.Name, Jail: d.Jail, Name: d.Name, Kind: d.Kind}); err != nil {
			t.Fatal(err)
		}
		if obs := observe(t, p, lab); len(obs.Lab.Daemons) != 0 {
			t.Errorf("a foreign process is taken for the daemon: %+v", obs.Lab.Daemons)
		}
		if _, err := p.StartDaemon(ctx, lab.Name, d); err != nil {
			t.Fatal(err)
		}
		if err := p.DestroyJail(ctx, lab.Name, j); err != nil {
			t.Fatal(err)
		}
		if !alive(foreign) {
			t.Errorf("the foreign process %d was killed", foreign.Process.Pid)
		}
	})
}

// startTagged starts a sleeping process with tag as its daemon tag (none
// when empty), outside any process group of its own, as the processes
// between netlab and a daemon run; the test stops it in the end.
func startTagged(t *testing.T, tag string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	if tag != "" {
		cmd.Env = append(os.Environ(), daemonTagEnv+"="+tag)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	waitFor := time.Now().Add(2 * time.Second)
	for !showsTag(cmd.Process.Pid, tag) && tag != "" && time.Now().Before(waitFor) {
		time.Sleep(5 * time.Millisecond)
	}
	return cmd
}

// showsTag reports whether process pid's environment tags it with tag.
func showsTag(pid int, tag string) bool {
	got, ok := findTag(readEnviron(pid), []byte(daemonTagEnv+"="+tag))
	return ok && got == tag
}

// startTaggedLeader is startTagged for a process that leads its own
// process group.
func startTaggedLeader(t *testing.T, tag string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	cmd.Env = append(os.Environ(), daemonTagEnv+"="+tag)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	for deadline := time.Now().Add(2 * time.Second); !showsTag(cmd.Process.Pid, tag); {
		if time.Now().After(deadline) {
			t.Fatal("the tagged process never showed its tag")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cmd
}

func readEnviron(pid int) []byte {
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
	return b
}

// alive reports whether the process cmd started still runs (not a
// zombie).
func alive(cmd *exec.Cmd) bool {
	st, err := readStat(cmd.Process.Pid)
	return err == nil && !st.Dead()
}

func TestSyncRemovesTemporaryFiles(t *testing.T) {
	ctx := context.Background()
	lab := interruptedLab()
	lab.Links = nil
	p := newTestProvider(t, lab)
	for _, j := range lab.Jails {
		if _, err := p.CreateJail(ctx, lab.Name, j); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(p.jailDir(lab.Name, "hint1"), 0o755); err != nil {
		t.Fatal(err)
	}
	left := []string{
		filepath.Join(p.jailDir(lab.Name, "hint1"), ".ssh.key.123.456"),
		filepath.Join(p.labDir(lab.Name), ".jails.markers.654321"),
	}
	for _, f := range left {
		if err := os.WriteFile(f, []byte("{"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Sync(ctx, lab.Name, lab); err != nil {
		t.Fatal(err)
	}
	for _, f := range left {
		if _, err := os.Lstat(f); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s remains after Sync", f)
		}
	}
}

// keygenRacer writes a host key where the daemon's goes just before the
// provider's ssh-keygen runs, as the ssh-keygen of a killed netlab,
// which outlives it, may.
type keygenRacer struct {
	providers.Runner
	key string
}

func (r *keygenRacer) Run(ctx context.Context, argv ...string) ([]byte, error) {
	if filepath.Base(argv[0]) == "ssh-keygen" {
		if out, err := r.Runner.Run(ctx, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", r.key); err != nil {
			return out, err
		}
	}
	return r.Runner.Run(ctx, argv...)
}

func TestHostKeyRacesAKilledNetlabsKeygen(t *testing.T) {
	ctx := context.Background()
	d := plan.Daemon{Jail: "hint1", Name: "ssh", Addr: "daemon.hint1.ssh", Kind: plan.KindSSHD}
	lab := interruptedLab(d)
	lab.Links = nil
	p := newTestProvider(t, lab)
	p.run = &keygenRacer{Runner: &providers.Exec{}, key: p.daemonFile(lab.Name, d.Jail, d.Name, "key")}
	if _, err := p.CreateJail(ctx, lab.Name, lab.Jails[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := p.StartDaemon(ctx, lab.Name, d); err != nil {
		t.Fatalf("StartDaemon while another ssh-keygen writes the key: %v", err)
	}
}
