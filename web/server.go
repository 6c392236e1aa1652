// Package web serves netlab's web view: one embedded page that draws the
// live topology of a lab, animates the packets captured on its links, and
// runs ping and traceroute between its jails.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netlab/netlab/plan"
)

// Defaults for Options left zero.
const (
	DefaultPoll    = time.Second
	DefaultWindow  = 20 * time.Millisecond
	DefaultMaxRate = 200
)

// Options configure a Server.
type Options struct {
	// Lab is the lab's name. Required.
	Lab string
	// Provider is asked for the live lab every Poll. Required.
	Provider plan.Provider
	// Console answers routing table queries and runs ping and traceroute;
	// nil turns those off.
	Console plan.Console
	// Capturer streams the lab's packets; nil shows no packets.
	Capturer plan.Capturer
	// Want is the lab file: it places jails at their positions and says
	// which daemons should run. Nil means automatic layout.
	Want *plan.Lab
	// Log receives a line per page action and capture failure; nil is
	// silent.
	Log io.Writer

	// Poll is how often the live topology is read; zero means DefaultPoll.
	Poll time.Duration
	// Window is how long packets are held to be put in timestamp order;
	// zero means DefaultWindow.
	Window time.Duration
	// MaxRate is the number of packets per second shown before the
	// server samples; zero means DefaultMaxRate, negative never samples.
	MaxRate int
}

// Server is the web view of one lab. Create it with New; it is safe for
// concurrent use.
type Server struct {
	opts    Options
	want    *plan.Lab
	hub     *hub
	ingest  chan plan.Packet
	handler http.Handler

	mu       sync.Mutex
	topoJSON []byte // the last topology sent
	ix       atomic.Pointer[index]

	seq      atomic.Uint64 // next packet sequence number
	overflow atomic.Int64  // packets lost before the pipeline
	capture  atomic.Value  // string: capture status
	runs     runner
}

// ingestQueue bounds the packets waiting between the capture and the
// pipeline; past it the capture's packets are counted and dropped, so
// that the capture never waits for the page.
const ingestQueue = 8192

// New returns a Server for opts.
func New(opts Options) (*Server, error) {
	if opts.Lab == "" {
		return nil, errors.New("creating the web view: no lab name")
	}
	if opts.Provider == nil {
		return nil, errors.New("creating the web view: no provider")
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.MaxRate == 0 {
		opts.MaxRate = DefaultMaxRate
	}
	s := &Server{opts: opts, hub: newHub(), ingest: make(chan plan.Packet, ingestQueue)}
	s.want = opts.Want
	if s.want == nil {
		s.want = &plan.Lab{Name: opts.Lab}
	}
	s.ix.Store(&index{})
	s.capture.Store("off")
	s.runs.limit = make(chan struct{}, maxRuns)
	s.handler = s.routes()
	return s, nil
}

// Handler returns the server's HTTP handler. The background work that
// feeds it (topology polling, capture) runs only inside Serve.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves the page on l until ctx ends, with the topology poller and
// the capture running beside it. It returns nil after ctx ends.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}

	// Runs started from the page end with the view, killed if need be
	// (their commands are started with this context).
	s.runs.base.Store(&ctx)
	defer s.runs.active.Wait()

	var wg sync.WaitGroup
	wg.Go(func() { s.pollTopology(ctx) })
	wg.Go(func() { s.pipeline(ctx) })
	if s.opts.Capturer != nil {
		wg.Go(func() { s.runCapture(ctx) })
	}
	go func() {
		<-ctx.Done()
		shut, done := context.WithTimeout(context.Background(), 3*time.Second)
		defer done()
		srv.Shutdown(shut)
	}()

	err := srv.Serve(l)
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serving the web view: %w", err)
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Log != nil {
		fmt.Fprintf(s.opts.Log, "web: "+format+"\n", args...)
	}
}

// pollTopology reads the live lab every Poll and tells the pages when it
// changed.
func (s *Server) pollTopology(ctx context.Context) {
	t := time.NewTicker(s.opts.Poll)
	defer t.Stop()
	for {
		s.refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// refresh observes the lab once and sends the topology if it changed.
func (s *Server) refresh(ctx context.Context) {
	octx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	obs, err := s.opts.Provider.Observe(octx, s.want)
	var topo topology
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		topo = topology{Type: "topology", Lab: s.opts.Lab, Jails: []jailView{}, Links: []linkView{},
			Error: fmt.Sprintf("reading the live lab: %v", err)}
	} else {
		var ix *index
		topo, ix = build(s.opts.Lab, s.opts.Want, &obs.Lab)
		s.ix.Store(ix)
	}
	msg, err := json.Marshal(topo)
	if err != nil {
		return
	}
	s.mu.Lock()
	changed := string(msg) != string(s.topoJSON)
	if changed {
		s.topoJSON = msg
	}
	s.mu.Unlock()
	if changed {
		s.hub.control(msg)
	}
}

// currentTopology returns the last topology sent, or nil before the first.
func (s *Server) currentTopology() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.topoJSON
}

// runCapture keeps the capturer running until ctx ends, restarting it
// after a failure.
func (s *Server) runCapture(ctx context.Context) {
	emit := func(p plan.Packet) {
		select {
		case s.ingest <- p:
		default:
			s.overflow.Add(1)
		}
	}
	for ctx.Err() == nil {
		s.capture.Store("running")
		err := s.opts.Capturer.Capture(ctx, s.opts.Lab, emit)
		if ctx.Err() != nil {
			return
		}
		status := "stopped"
		if err != nil {
			status = err.Error()
			s.logf("capture: %v", err)
		}
		s.capture.Store(status)
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}
