package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/web"
)

// defaultListen keeps the web view on this machine unless asked otherwise.
const defaultListen = "127.0.0.1:8080"

// webFlags are the flags of web and of apply -web.
type webFlags struct {
	serve  bool
	listen string
}

func (f *webFlags) registerListen(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.listen, "listen", defaultListen,
		"address the web view listens on; anything but loopback lets other machines run ping and traceroute in the lab")
}

func (f *webFlags) registerApply(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.serve, "web", false, "after applying, serve the web view until interrupted")
	f.registerListen(cmd)
}

func (a *app) webCommand() *cobra.Command {
	var f labFlags
	var w webFlags
	cmd := &cobra.Command{
		Use:   "web LABFILE",
		Short: "Serve a web page that shows the live lab and the packets crossing its links",
		Long: `Serves one page (on 127.0.0.1:8080 unless -listen says otherwise) that draws
the lab as it is live, animates the packets captured on every link, shows a
jail's routing table on click, and runs ping or traceroute between two
jails. The page works offline; stop the server with Ctrl-C.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			s, err := a.openSession(args[0], &f)
			if err != nil {
				return err
			}
			return a.serveWeb(ctx, s, w.listen)
		},
	}
	f.register(cmd.Flags())
	w.registerListen(cmd)
	return cmd
}

// serveWeb serves the web view of the session's lab on listen until ctx
// ends.
func (a *app) serveWeb(ctx context.Context, s *session, listen string) error {
	// The view shows only what the lab owns: say so when objects of
	// others hold its names, which it would otherwise leave out silently.
	if obs, err := s.prov.Observe(ctx, s.want); err == nil && len(obs.Clashes) > 0 {
		var held []string
		for _, c := range obs.Clashes {
			held = append(held, fmt.Sprintf("%s (%s)", c.Addr, c.Object))
		}
		fmt.Fprintf(a.stderr, "Warning: names of lab %q are held by objects netlab does not own: %s; "+
			"the web view leaves them out (netlab plan %s says more).\n", s.want.Name, strings.Join(held, ", "), s.want.File)
	}
	capt, _ := s.prov.(plan.Capturer)
	srv, err := web.New(web.Options{
		Lab: s.want.Name, Provider: s.prov, Console: s.console, Capturer: capt,
		Want: s.want, Log: a.logWriter(),
	})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening for the web view: %w", err)
	}
	if !web.LoopbackOnly(listen) {
		fmt.Fprintf(a.stderr, "Warning: the web view listens on %s, beyond this machine: anyone who reaches it sees the lab and can run ping and traceroute in it.\n", listen)
	}
	if capt == nil {
		fmt.Fprintf(a.stderr, "Warning: provider %q cannot capture packets; the page shows the topology only.\n", s.prov.Name())
	}
	fmt.Fprintf(a.stderr, "Serving the web view of lab %q on %s (Ctrl-C stops it).\n", s.want.Name, webURL(listen, l.Addr()))
	return srv.Serve(ctx, l)
}

// webURL is the address of the web view as the user gave it in -listen,
// with the port the listener got (which -listen may leave to the kernel
// with port 0). The listener's own address would not do: it shows
// 0.0.0.0 as [::]. A -listen without a host listens on every address,
// this machine's included, where the URL then points.
func webURL(listen string, got net.Addr) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + got.String() + "/"
	}
	if tcp, ok := got.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
	}
	if host == "" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
