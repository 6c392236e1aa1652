package providers

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestStart(t *testing.T) {
	t.Run("stopped-by-context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		x := &Exec{}
		p, err := x.Start(ctx, "sh", "-c", "echo ready; exec sleep 30")
		if err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(p.Stdout()).ReadString('\n')
		if line != "ready\n" || err != nil {
			t.Fatalf("first line %q, %v; want ready", line, err)
		}
		start := time.Now()
		cancel()
		io.Copy(io.Discard, p.Stdout())
		err = p.Wait()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Wait after cancel: %v, want context.Canceled", err)
		}
		if d := time.Since(start); d >= StopGrace {
			t.Errorf("stop took %v: SIGTERM should have ended sleep", d)
		}
	})
	t.Run("killed-after-grace", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		x := &Exec{Grace: 100 * time.Millisecond}
		p, err := x.Start(ctx, "sh", "-c", `trap "" TERM; echo ready; exec sleep 30`)
		if err != nil {
			t.Fatal(err)
		}
		bufio.NewReader(p.Stdout()).ReadString('\n')
		start := time.Now()
		cancel()
		io.Copy(io.Discard, p.Stdout())
		err = p.Wait()
		var xe *ExecError
		if !errors.As(err, &xe) {
			t.Fatalf("Wait: %v, want an *ExecError", err)
		}
		if d := time.Since(start); d < 100*time.Millisecond || d > 5*time.Second {
			t.Errorf("stop took %v, want about the 100ms grace", d)
		}
	})
	t.Run("exit-status", func(t *testing.T) {
		p, err := (&Exec{}).Start(context.Background(), "sh", "-c", "echo partial; echo broken >&2; exit 3")
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(p.Stdout())
		err = p.Wait()
		var xe *ExecError
		if !errors.As(err, &xe) || xe.ExitCode() != 3 || strings.TrimSpace(string(xe.Stderr)) != "broken" {
			t.Fatalf("Wait: %#v, want exit 3 with stderr broken", err)
		}
		if string(out) != "partial\n" {
			t.Errorf("stdout %q", out)
		}
	})
	t.Run("not-found", func(t *testing.T) {
		_, err := (&Exec{}).Start(context.Background(), "netlab-no-such-program")
		var xe *ExecError
		if !errors.As(err, &xe) || xe.ExitCode() != -1 {
			t.Fatalf("Start: %v, want an *ExecError that did not run", err)
		}
	})
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 4}
	b.Write([]byte("abc"))
	b.Write([]byte("def"))
	if got := string(b.Bytes()); got != "cdef" {
		t.Errorf("tail %q, want cdef", got)
	}
}
