package linux

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/netlab/netlab/providers"
)

// startBird starts one bird per jail with its own config, control socket,
// pid file and log. bird forks into the background once the config
// parses; a config error comes back as the command's output.
func (p *Provider) startBird(ctx context.Context, s *daemonSpec) error {
	file := func(ext string) string { return p.daemonFile(s.Lab, s.Jail, s.Name, ext) }
	if len(file("ctl")) > maxSocketPath {
		return fmt.Errorf("control socket path %s is longer than %d bytes", file("ctl"), maxSocketPath)
	}
	conf, err := renderBird(birdConfig{
		Lab: s.Lab, Jail: s.Jail, Daemon: s.Name,
		RouterID: routerID(s.Netns),
		Log:      file("log"),
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(file("conf"), conf, 0o644); err != nil {
		return fmt.Errorf("writing bird config: %w", err)
	}
	bird, err := toolBird.path()
	if err != nil {
		return err
	}
	argv, err := p.jailArgv(s.Lab, s.Jail, bird, "-c", file("conf"), "-s", file("ctl"), "-P", file("pid"))
	if err != nil {
		return err
	}
	return p.startForking(ctx, s, argv, file("pid"))
}

// privsepDir is the empty directory sshd chroots its unprivileged child
// into; Debian creates it only when its own sshd service starts.
const privsepDir = "/run/sshd"

// startSSHD starts an sshd of the jail's own with its own host key, pid
// file and log. It listens on every address of the jail and nowhere else,
// since it lives in the jail's network namespace.
func (p *Provider) startSSHD(ctx context.Context, s *daemonSpec) error {
	file := func(ext string) string { return p.daemonFile(s.Lab, s.Jail, s.Name, ext) }
	if err := os.MkdirAll(privsepDir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", privsepDir, err)
	}
	if err := p.hostKey(ctx, s, file("key")); err != nil {
		return err
	}
	conf, err := renderSSHD(sshdConfig{
		Lab: s.Lab, Jail: s.Jail, Daemon: s.Name,
		HostKey: file("key"), PidFile: file("pid"),
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(file("conf"), conf, 0o644); err != nil {
		return fmt.Errorf("writing sshd config: %w", err)
	}
	// sshd re-executes itself and so needs its absolute path.
	sshd, err := toolSSHD.path()
	if err != nil {
		return err
	}
	argv, err := p.jailArgv(s.Lab, s.Jail, sshd, "-f", file("conf"), "-E", file("log"))
	if err != nil {
		return err
	}
	return p.startForking(ctx, s, argv, file("pid"))
}

// hostKey generates the daemon's ed25519 host key once; restarts reuse
// it, so clients do not see the key change. The key is written under a
// temporary name and renamed into place: a netlab killed meanwhile
// leaves no half-written key, and its ssh-keygen, which outlives it,
// cannot collide with the next netlab's (Sync removes the temporary
// files such a crash leaves).
func (p *Provider) hostKey(ctx context.Context, s *daemonSpec, path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	keygen, err := toolSSHKeygen.path()
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%d.%d", filepath.Base(path), os.Getpid(), time.Now().UnixNano()))
	comment := fmt.Sprintf("netlab %s %s", s.Lab, s.Jail)
	if _, err := p.run.Run(ctx, keygen, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", tmp); err != nil {
		os.Remove(tmp)
		os.Remove(tmp + ".pub")
		return fmt.Errorf("generating host key: %w", err)
	}
	if err := os.Rename(tmp+".pub", path+".pub"); err != nil {
		return fmt.Errorf("generating host key: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("generating host key: %w", err)
	}
	return nil
}

// startCommand starts the user's command in its own session with its
// output appended to the log. The process is netlab's child: a goroutine
// reaps it so that it does not linger as a zombie while netlab runs.
func (p *Provider) startCommand(s *daemonSpec) error {
	argv, err := p.jailArgv(s.Lab, s.Jail, s.Command...)
	if err != nil {
		return err
	}
	log, err := os.OpenFile(p.daemonFile(s.Lab, s.Jail, s.Name, "log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening log: %w", err)
	}
	defer log.Close()

	newCmd := func() *exec.Cmd {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), p.tagEnv(s))
		cmd.Stdout, cmd.Stderr = log, log
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		cmd.Dir = "/" // hold no directory of the caller's busy
		return cmd
	}
	s.Argv = argv
	start := time.Now()
	cmd, died, err := providers.Launch(newCmd)
	if err != nil {
		return fmt.Errorf("starting %s: %w", providers.Quote(argv), err)
	}
	if died > 0 {
		p.logf("exec: %s: started again, %d start(s) killed before exec", providers.Quote(argv), died)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()

	s.Pid = cmd.Process.Pid
	st, err := readStat(s.Pid)
	if err != nil {
		<-exited
		return p.exited(s)
	}
	s.Start = st.Start
	p.logf("exec: %s: started as pid %d (%s)", providers.Quote(argv), s.Pid, time.Since(start).Round(time.Microsecond))
	if err := p.track(s); err != nil {
		return err
	}
	select {
	case <-exited:
		return p.exited(s)
	case <-time.After(p.settle):
		return nil
	}
}
