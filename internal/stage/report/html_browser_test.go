package report

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browser finds headless Chromium (Debian's chromium package). CI installs it, so there a
// missing browser fails the test instead of skipping it.
func browser(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on this machine: .ci/run installs Debian's chromium package for this test")
	}
	t.Skip("no chromium: apt-get install chromium to run the browser test")
	return ""
}

// artifactDir is where the screenshot is kept: $NOWWHAT_ARTIFACTS (CI sets it), else
// nowwhat-artifacts in the system's temporary folder.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("NOWWHAT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "nowwhat-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestHTMLInChromium loads the HTML report in headless Chromium: the verdict, the entry address
// and the timeline are rendered, no request leaves the page, and a screenshot is kept.
func TestHTMLInChromium(t *testing.T) {
	exe := browser(t)
	c := syntheticCase(t, fullCase)
	r := build(t, c, T0.Add(80*time.Hour))
	page := filepath.Join(t.TempDir(), "report.html")
	var html bytes.Buffer
	if err := r.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, html.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 1400),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	var mu sync.Mutex
	var requests []string
	listen := chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	})
	ctx, cancel := chromedp.NewContext(actx, listen)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	url := "file://" + page
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("timeline"))); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	text := func(id string) string {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("#%s: %v", id, err)
		}
		return s
	}
	verdict, address, deadline := text("verdict"), text("entry-address"), text("deadline")
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	dots, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("#timeline circle")))
	if err != nil {
		t.Fatal(err)
	}
	marks, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("#timeline-table tr.hostile")))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if strings.TrimSpace(verdict) != "compromised" {
		t.Errorf("verdict rendered as %q", verdict)
	}
	if strings.TrimSpace(address) != "203.0.113.66" {
		t.Errorf("entry address rendered as %q", address)
	}
	if !strings.Contains(deadline, "2026-11-23 09:30:00 UTC") || !strings.Contains(deadline, "passed") {
		t.Errorf("deadline rendered as %q", deadline)
	}
	if title != "Incident report: web1" {
		t.Errorf("title %q", title)
	}
	if len(dots) != len(r.Timeline) || len(marks) == 0 {
		t.Errorf("timeline: %d dots for %d events, %d hostile rows", len(dots), len(r.Timeline), len(marks))
	}
	mu.Lock()
	if len(requests) == 0 || requests[0] != url {
		t.Errorf("the network listener saw no load of the page itself (%v): the check below would prove nothing", requests)
	}
	for _, u := range requests {
		if u != url {
			t.Errorf("the page made a request: %s", u)
		}
	}
	mu.Unlock()
	// The screenshot shows the page: the hostile red of the timeline is in it.
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	red := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 > 150 && g>>8 < 90 && bl>>8 < 90 {
				red++
			}
		}
	}
	if red < 20 || b.Dx() < 800 {
		t.Errorf("the screenshot does not show the report (%dx%d, %d red pixels)", b.Dx(), b.Dy(), red)
	}
	dst := filepath.Join(artifactDir(t), "report-html-chromium.png")
	if err := os.WriteFile(dst, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot kept in %s (%dx%d)", dst, b.Dx(), b.Dy())
}
