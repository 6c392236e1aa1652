package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/netlab/netlab/plan"
)

// Limits on what the page can start.
const (
	maxRuns     = 2                // ping or traceroute runs at once
	runTimeout  = 30 * time.Second // per run
	maxBody     = 1 << 10          // bytes of a request body
	maxLines    = 200              // output lines sent per run
	maxLineLen  = 300              // bytes per output line
	routesLimit = 5 * time.Second
)

// Errors of a run request; the handler answers each with its own status.
var (
	ErrUnknownTool = errors.New("only ping and traceroute can be run")
	ErrNotJail     = errors.New("not a jail of this lab")
	ErrNoAddress   = errors.New("the target jail has no address")
	ErrSameJail    = errors.New("source and target are the same jail")
	ErrBusy        = errors.New("too many runs at once")
)

// runRequest is the body of POST /api/run.
type runRequest struct {
	Tool string `json:"tool"`
	From string `json:"from"`
	To   string `json:"to"`
}

// runner tracks the runs started from pages.
type runner struct {
	limit chan struct{}
	next  atomic.Int64
	// base is the context runs start from: Serve's, so that they end
	// with it; none before Serve (Handler alone).
	base atomic.Pointer[context.Context]
	// active counts the runs still going, which Serve waits for.
	active sync.WaitGroup
}

// context returns the context a new run starts from.
func (r *runner) context() context.Context {
	if c := r.base.Load(); c != nil {
		return *c
	}
	return context.Background()
}

// check refuses a run request unless its tool is ping or traceroute and
// its jails are two different live jails of the lab.
func check(ix *index, req runRequest) error {
	if req.Tool != "ping" && req.Tool != "traceroute" {
		return fmt.Errorf("%q: %w", req.Tool, ErrUnknownTool)
	}
	if !ix.jails[req.From] {
		return fmt.Errorf("source %q: %w", req.From, ErrNotJail)
	}
	if !ix.jails[req.To] {
		return fmt.Errorf("target %q: %w", req.To, ErrNotJail)
	}
	if req.From == req.To {
		return ErrSameJail
	}
	return nil
}

// command returns the argv of a run request that check accepts, aimed at
// the address of the target jail that plan.PickTarget chooses with
// routes, the source's kernel table (nil when it could not be read).
func command(ix *index, req runRequest, routes []plan.KernelRoute,
	cons plan.Console) ([]string, plan.Target, error) {
	if err := check(ix, req); err != nil {
		return nil, plan.Target{}, err
	}
	t := plan.PickTarget(ix.live, req.From, req.To, routes)
	if !t.Addr.IsValid() {
		return nil, t, fmt.Errorf("target %q: %w: none of its live links has one; give it a link "+
			"in the lab file, or apply the lab if its links are gone", req.To, ErrNoAddress)
	}
	if req.Tool == "ping" {
		return cons.PingArgs(t.Addr.String(), 3), t, nil
	}
	return cons.TraceArgs(t.Addr.String()), t, nil
}

// why says in a few words why a run aims at t, for the page's output.
// routesKnown is false when the source's routes could not be read.
func why(t plan.Target, req runRequest, routesKnown bool) string {
	switch {
	case t.How == plan.Connected:
		return fmt.Sprintf("directly connected over %s", t.Link)
	case t.How == plan.Routed:
		return fmt.Sprintf("%s has a route to %s", req.From, t.Route)
	case !routesKnown:
		return fmt.Sprintf("the routes of %s could not be read; first address of %s", req.From, req.To)
	}
	return fmt.Sprintf("no route from %s to %s; first address of %s", req.From, req.To, req.To)
}

// sourceRoutes reads the kernel table of a checked source jail. A failure
// is logged and leaves the table unknown (nil).
func (s *Server) sourceRoutes(ctx context.Context, jail string) ([]plan.KernelRoute, bool) {
	ctx, cancel := context.WithTimeout(ctx, routesLimit)
	defer cancel()
	routes, err := s.opts.Console.Routes(ctx, s.opts.Lab, jail)
	if err != nil {
		s.logf("reading the routes of %s to aim a run: %v", jail, err)
		return nil, false
	}
	return routes, true
}

// run starts a ping or traceroute between two jails; its output goes to
// every page as run messages.
func (s *Server) run(w http.ResponseWriter, r *http.Request) {
	if s.opts.Console == nil {
		httpError(w, http.StatusNotImplemented, "this web view cannot run commands")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		httpError(w, http.StatusUnsupportedMediaType, "send the request as application/json")
		return
	}
	var req runRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("reading the request: %v", err))
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		httpError(w, http.StatusBadRequest, "reading the request: it holds more than one JSON object")
		return
	}
	ix := s.ix.Load()
	if err := check(ix, req); err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	routes, known := s.sourceRoutes(r.Context(), req.From)
	argv, target, err := command(ix, req, routes, s.opts.Console)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}

	select {
	case s.runs.limit <- struct{}{}:
	default:
		httpError(w, http.StatusTooManyRequests, ErrBusy.Error())
		return
	}
	id := s.runs.next.Add(1)
	reason := why(target, req, known)
	s.logf("run %d: %s -> %s: %s (%s)", id, req.From, req.To, strings.Join(argv, " "), reason)
	start := runMsg{Type: "run", ID: id, State: "start", Tool: req.Tool, From: req.From, To: req.To,
		Argv: argv, Why: reason}
	s.broadcast(start)
	s.runs.active.Add(1)
	go func() {
		defer s.runs.active.Done()
		defer func() { <-s.runs.limit }()
		status := s.execute(id, req.From, argv)
		s.broadcast(runMsg{Type: "run", ID: id, State: "exit", Status: status})
	}()
	writeJSON(w, http.StatusAccepted, start)
}

// execute runs argv in jail and sends its output line by line. It returns
// how the run ended.
func (s *Server) execute(id int64, jail string, argv []string) string {
	base := s.runs.context()
	ctx, cancel := context.WithTimeout(base, runTimeout)
	defer cancel()
	cmd, err := s.opts.Console.Command(ctx, s.opts.Lab, jail, argv)
	if err != nil {
		return err.Error()
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return fmt.Sprintf("starting %s: %v", argv[0], err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.stream(id, pr)
	}()
	err = cmd.Wait()
	pw.Close()
	<-done
	switch {
	case base.Err() != nil:
		return "stopped: the web view is shutting down"
	case ctx.Err() != nil:
		return "timed out"
	case err != nil:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Sprintf("exit %d", ee.ExitCode())
		}
		return err.Error()
	}
	return "exit 0"
}

// stream sends the lines of r as run messages, at most maxLines of at
// most maxLineLen bytes each, and reads the rest without sending it.
func (s *Server) stream(id int64, r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	n := 0
	for sc.Scan() {
		n++
		switch {
		case n <= maxLines:
			s.broadcast(runMsg{Type: "run", ID: id, State: "line", Line: clip(sc.Text())})
		case n == maxLines+1:
			s.broadcast(runMsg{Type: "run", ID: id, State: "line", Line: "[output cut]"})
		}
	}
	io.Copy(io.Discard, r)
}

// clip cuts a line to maxLineLen bytes on a rune boundary and replaces
// invalid UTF-8.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxLineLen {
		return s
	}
	cut := maxLineLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func (s *Server) broadcast(v any) {
	if msg, err := json.Marshal(v); err == nil {
		s.hub.control(msg)
	}
}

// routesReply is the answer to GET /api/routes.
type routesReply struct {
	Jail   string  `json:"jail"`
	Routes []route `json:"routes"`
}

type route struct {
	To     string `json:"to"`
	Via    string `json:"via,omitempty"`
	Dev    string `json:"dev,omitempty"`
	Origin string `json:"origin"`
	Metric int    `json:"metric,omitempty"`
}

// jailRoutes answers a jail's kernel routing table.
func (s *Server) jailRoutes(w http.ResponseWriter, r *http.Request) {
	if s.opts.Console == nil {
		httpError(w, http.StatusNotImplemented, "this web view cannot read routing tables")
		return
	}
	jail := r.URL.Query().Get("jail")
	if jail == "" {
		httpError(w, http.StatusBadRequest, "the jail parameter is missing: ask for /api/routes?jail=NAME")
		return
	}
	if !s.ix.Load().jails[jail] {
		httpError(w, http.StatusNotFound, fmt.Sprintf("jail %q: %v", jail, ErrNotJail))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), routesLimit)
	defer cancel()
	krs, err := s.opts.Console.Routes(ctx, s.opts.Lab, jail)
	if err != nil {
		httpError(w, http.StatusBadGateway, fmt.Sprintf("reading the routes of %s: %v", jail, err))
		return
	}
	reply := routesReply{Jail: jail, Routes: []route{}}
	for _, kr := range krs {
		rt := route{To: kr.To.String(), Dev: kr.Dev, Origin: kr.Origin, Metric: kr.Metric}
		if kr.Via.IsValid() {
			rt.Via = kr.Via.String()
		}
		reply.Routes = append(reply.Routes, rt)
	}
	writeJSON(w, http.StatusOK, reply)
}
