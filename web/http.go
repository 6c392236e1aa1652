package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"time"
)

//go:embed static
var static embed.FS

// Timing of the event stream.
const (
	keepAlive    = 15 * time.Second
	writeTimeout = 10 * time.Second
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	files, _ := fs.Sub(static, "static")
	mux.Handle("GET /", secure(http.FileServerFS(files)))
	mux.Handle("GET /events", secure(http.HandlerFunc(s.events)))
	mux.Handle("GET /api/topology", secure(http.HandlerFunc(s.topologyJSON)))
	mux.Handle("GET /api/routes", secure(http.HandlerFunc(s.jailRoutes)))
	mux.Handle("POST /api/run", secure(sameOrigin(http.HandlerFunc(s.run))))

	// The page's "GET /" matches every path: the mux alone would answer a
	// GET of /api/run with the page's 404, and other methods with an Allow
	// that names GET.
	runOnly := secure(allowOnly(http.MethodPost))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/run" && r.Method != http.MethodPost {
			runOnly.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// allowOnly answers every request with 405 and the methods that the path
// does serve.
func allowOnly(methods string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", methods)
		httpError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, methods))
	})
}

// secure sets the headers that keep the page to its own code: no inline
// script, no other origin, no framing, no content sniffing.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "+
			"connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// sameOrigin refuses a request another site's page sent: its Origin, when
// the browser sets one, must be this server's own.
func sameOrigin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" {
			u, err := url.Parse(o)
			if err != nil || u.Host != r.Host {
				httpError(w, http.StatusForbidden, "requests from another site are refused")
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// events streams JSON messages to one page as Server-Sent Events: hello,
// the current topology, then packets, stats, topology changes and run
// output as they come.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	c, err := s.hub.join()
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	defer s.hub.leave(c)

	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	hello, _ := json.Marshal(helloMsg{Type: "hello", Lab: s.opts.Lab, Limit: max(s.opts.MaxRate, 0),
		WindowMS: int(s.opts.Window / time.Millisecond), Seq: s.seq.Load()})
	first := [][]byte{hello}
	if t := s.currentTopology(); t != nil {
		first = append(first, t)
	}
	if sendAll(w, rc, first) != nil {
		return
	}

	ping := time.NewTicker(keepAlive)
	defer ping.Stop()
	for {
		var msg []byte // nil: a keep-alive comment
		select {
		case <-r.Context().Done():
			return
		case <-c.gone:
			return
		case <-ping.C:
		case msg = <-c.control:
		case msg = <-c.packets:
		}
		if sendAll(w, rc, append([][]byte{msg}, pending(c)...)) != nil {
			return
		}
	}
}

// pending takes what else is queued for c, so that a burst goes out in one
// write and one flush.
func pending(c *client) [][]byte {
	var msgs [][]byte
	for range 64 {
		select {
		case m := <-c.control:
			msgs = append(msgs, m)
		case m := <-c.packets:
			msgs = append(msgs, m)
		default:
			return msgs
		}
	}
	return msgs
}

// sendAll writes messages as SSE events (a nil message is a keep-alive
// comment) and flushes them.
func sendAll(w http.ResponseWriter, rc *http.ResponseController, msgs [][]byte) error {
	_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	for _, m := range msgs {
		var err error
		if m == nil {
			_, err = w.Write([]byte(": keep-alive\n\n"))
		} else {
			// JSON from encoding/json holds no raw newline, so one data
			// line carries it.
			_, err = w.Write(append(append([]byte("data: "), m...), '\n', '\n'))
		}
		if err != nil {
			return err
		}
	}
	return rc.Flush()
}

func (s *Server) topologyJSON(w http.ResponseWriter, r *http.Request) {
	t := s.currentTopology()
	if t == nil {
		httpError(w, http.StatusServiceUnavailable, "the live lab has not been read yet")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(t)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// LoopbackOnly reports whether a listen address (host:port) accepts
// connections from this machine only. An empty host listens everywhere.
func LoopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
