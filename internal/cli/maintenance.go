package cli

import (
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/stage/maintenance"
)

func maintenanceCmd(g *globals) *cobra.Command {
	var listen, tlsListen []string
	var message, title, certFile, keyFile, healthPath string
	var retryAfter time.Duration
	var honest bool
	cmd := &cobra.Command{
		Use:   "maintenance --listen ADDR [--message TEXT] [--retry-after DURATION] [--tls-cert FILE --tls-key FILE]",
		Short: "Step 2: show visitors a maintenance page instead of the hacked site",
		Long: `maintenance serves a clean, self-contained page on every path: 503 Service Unavailable with a
Retry-After header, so browsers, search engines and monitoring know the site is down for a while,
not gone. The page names no server or software, loads nothing from elsewhere, and never echoes
what a visitor sent. --honest says there is a security incident instead of "planned
maintenance". The health path (/nowwhat-health) answers 200 for load balancers.

--listen 8080 binds to loopback only; give the address to be reached from outside (:80,
0.0.0.0:80, [::]:443). Ports below 1024 need root. Stop the service that holds the port first
(nowwhat contain service NAME --apply). With --tls-cert and --tls-key, the --listen addresses
serve HTTPS; --tls-listen adds HTTPS listeners next to plain ones. Every request is logged to
standard error (visitors and attackers still probing the site). Ctrl-C stops it.`,
		Example: `  sudo nowwhat maintenance --listen :80
  sudo nowwhat maintenance --listen :80 --tls-listen :443 --tls-cert /etc/letsencrypt/live/example.org/fullchain.pem --tls-key /etc/letsencrypt/live/example.org/privkey.pem
  sudo nowwhat maintenance --listen :80 --honest --retry-after 4h
  nowwhat maintenance --listen 8080 --message "Back on Monday."   # loopback only, to preview`,
		GroupID: "steps",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(listen) == 0 && len(tlsListen) == 0 {
				return errors.New("say where to listen: --listen :80 (all addresses) or --listen 8080 (loopback only)")
			}
			if (certFile == "") != (keyFile == "") {
				return errors.New("--tls-cert and --tls-key go together")
			}
			if len(tlsListen) > 0 && certFile == "" {
				return errors.New("--tls-listen needs --tls-cert and --tls-key")
			}
			var tlsCfg *tls.Config
			if certFile != "" {
				cert, err := tls.LoadX509KeyPair(certFile, keyFile)
				if err != nil {
					return fmt.Errorf("load the TLS certificate: %w", err)
				}
				tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			}
			var lns []maintenance.Listener
			for _, a := range listen {
				addr, err := maintenance.ParseListen(a)
				if err != nil {
					return fmt.Errorf("--listen %w", err)
				}
				lns = append(lns, maintenance.Listener{Addr: addr, TLS: tlsCfg})
			}
			for _, a := range tlsListen {
				addr, err := maintenance.ParseListen(a)
				if err != nil {
					return fmt.Errorf("--tls-listen %w", err)
				}
				lns = append(lns, maintenance.Listener{Addr: addr, TLS: tlsCfg})
			}
			if len(tlsListen) > 0 {
				for i := range listen {
					lns[i].TLS = nil // plain next to the TLS listeners
				}
			}
			if honest && message == "" {
				message = maintenance.HonestMessage
			}
			cfg := maintenance.Config{Message: message, Title: title, RetryAfter: retryAfter, HealthPath: healthPath}
			if !g.quiet {
				cfg.Log = slog.New(slog.NewTextHandler(g.stderr, nil))
			}
			srv, err := maintenance.Listen(cfg, lns)
			if err != nil {
				return err
			}
			j, err := g.openJournal(cmd, "")
			if err != nil {
				srv.Close()
				return err
			}
			g.info("maintenance page on %s (503, Retry-After %s); health: %s; Ctrl-C to stop", strings.Join(srv.Addrs(), ", "),
				retryAfter.Round(time.Second), cmp.Or(healthPath, maintenance.DefaultHealthPath))
			stopIsNormal() // Ctrl-C is how a server ends: exit 0
			finishing()    // time to close connections and write the journal
			ctx, cancel := interruptible()
			defer cancel()
			err = srv.Serve(ctx)
			j.facts["listen"] = strings.Join(srv.Addrs(), " ")
			return j.done("stopped", "maintenance page served on "+strings.Join(srv.Addrs(), ", "), err)
		},
	}
	cmd.Flags().StringArrayVar(&listen, "listen", nil, "address to serve on (repeatable): :80 for every address, 8080 for loopback only")
	cmd.Flags().StringArrayVar(&tlsListen, "tls-listen", nil, "HTTPS address next to plain --listen ones (repeatable; needs --tls-cert and --tls-key)")
	cmd.Flags().StringVar(&message, "message", "", "the text visitors read (default: back shortly after planned maintenance)")
	cmd.Flags().StringVar(&title, "title", "", "the page's heading (default \"Back soon\")")
	cmd.Flags().BoolVar(&honest, "honest", false, "say it is a security incident, not planned maintenance")
	cmd.Flags().DurationVar(&retryAfter, "retry-after", time.Hour, "how long clients should wait before trying again (Retry-After)")
	cmd.Flags().StringVar(&certFile, "tls-cert", "", "TLS certificate chain (PEM), e.g. the site's own fullchain.pem")
	cmd.Flags().StringVar(&keyFile, "tls-key", "", "TLS private key (PEM)")
	cmd.Flags().StringVar(&healthPath, "health-path", maintenance.DefaultHealthPath, "path that answers 200 for load balancers (- for none)")
	return cmd
}
