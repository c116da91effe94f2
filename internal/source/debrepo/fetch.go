package debrepo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Getter fetches a URL's body, at most max bytes.
type Getter interface {
	Get(ctx context.Context, url string, max int64) ([]byte, error)
}

// HTTP fetches over HTTP(S) with timeouts. Plain HTTP is as good as HTTPS here: what is
// fetched is trusted only through the signature and digests.
type HTTP struct{ Client *http.Client }

// Get fetches url.
func (h HTTP) Get(ctx context.Context, url string, max int64) ([]byte, error) {
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 5 * time.Minute}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "nowwhat-clean")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{URL: url, Code: resp.StatusCode}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", url, max)
	}
	return data, nil
}

// StatusError is an HTTP answer other than 200.
type StatusError struct {
	URL  string
	Code int
}

func (e *StatusError) Error() string { return fmt.Sprintf("%s: HTTP %d", e.URL, e.Code) }

// Resolver finds the .deb of an installed package and proves it is Debian's.
type Resolver struct {
	Keyring *Keyring
	Sources []Source // the mirrors to ask (the host's APT sources)
	Get     Getter   // nil: no network
	// Dir is a folder the operator filled on a clean machine (--packages-from): .deb files,
	// and the suites' InRelease and Packages files (as apt keeps them in /var/lib/apt/lists,
	// any names). A .deb found there is still checked against a signed index.
	Dir string
	// Cache keeps fetched indices and packages between runs (the case folder); everything in it
	// is checked again before use.
	Cache string
	Now   func() time.Time

	releases map[string]*Release // by InRelease URL or file
	indices  map[string][]byte   // by SHA-256
	local    []localFile
	scanned  bool
}

type localFile struct {
	path   string
	sha256 string
	size   int64
}

// Proof says how a package was verified.
type Proof struct {
	Deb         string `json:"deb"`
	SHA256      string `json:"sha256"`
	From        string `json:"from"`         // the mirror URL or the --packages-from file
	Index       string `json:"index"`        // the Packages index that lists it
	IndexSHA256 string `json:"index_sha256"` // as the signed InRelease lists it
	Release     string `json:"release"`      // the InRelease (URL or file)
	Suite       string `json:"suite"`
	Signer      string `json:"signer"`  // fingerprint of the signing key
	Keyring     string `json:"keyring"` // where the key came from
}

// ErrNotFound says no source holds the package at that version.
var ErrNotFound = errors.New("not found in any verified index")

func (r *Resolver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// scanDir hashes the files of Dir once.
func (r *Resolver) scanDir() {
	if r.scanned || r.Dir == "" {
		return
	}
	r.scanned = true
	filepath.WalkDir(r.Dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return nil
		}
		defer f.Close()
		h := sha256.New()
		n, _ := io.Copy(h, io.LimitReader(f, 2<<30))
		r.local = append(r.local, localFile{path: p, sha256: hex.EncodeToString(h.Sum(nil)), size: n})
		return nil
	})
}

// releasesToTry lists the verified InRelease files: the operator's folder's, then each
// source's from its mirror. Failures are collected to be told.
func (r *Resolver) releasesToTry(ctx context.Context, problems *[]string) []struct {
	where string
	src   *Source
	rel   *Release
} {
	if r.releases == nil {
		r.releases = map[string]*Release{}
	}
	var out []struct {
		where string
		src   *Source
		rel   *Release
	}
	r.scanDir()
	for _, lf := range r.local {
		if !strings.HasSuffix(lf.path, "InRelease") {
			continue
		}
		rel, ok := r.releases[lf.path]
		if !ok {
			data, err := os.ReadFile(lf.path)
			if err == nil {
				rel, err = VerifyInRelease(data, r.Keyring, r.now())
			}
			if err != nil {
				*problems = append(*problems, fmt.Sprintf("%s: %v", lf.path, err))
			}
			r.releases[lf.path] = rel
		}
		if rel != nil {
			out = append(out, struct {
				where string
				src   *Source
				rel   *Release
			}{lf.path, nil, rel})
		}
	}
	for i := range r.Sources {
		s := &r.Sources[i]
		if r.Get == nil || !(strings.HasPrefix(s.URI, "http://") || strings.HasPrefix(s.URI, "https://")) {
			continue
		}
		u := strings.TrimSuffix(s.URI, "/") + "/dists/" + s.Suite + "/InRelease"
		rel, ok := r.releases[u]
		if !ok {
			data, err := r.Get.Get(ctx, u, 64<<20)
			if err == nil {
				rel, err = VerifyInRelease(data, r.Keyring, r.now())
			}
			if err != nil {
				*problems = append(*problems, err.Error())
			}
			r.releases[u] = rel
		}
		if rel != nil {
			out = append(out, struct {
				where string
				src   *Source
				rel   *Release
			}{u, s, rel})
		}
	}
	return out
}

// index gets a Packages index the release lists, verified against its digest: from the
// operator's folder (any file with that digest), the cache, or the mirror.
func (r *Resolver) index(ctx context.Context, src *Source, rel *Release, name string) ([]byte, error) {
	d := rel.SHA256[name]
	if r.indices == nil {
		r.indices = map[string][]byte{}
	}
	if b, ok := r.indices[d.SHA256]; ok {
		return b, nil
	}
	for _, lf := range r.local {
		if lf.sha256 == d.SHA256 && lf.size == d.Size {
			b, err := os.ReadFile(lf.path)
			if err == nil && CheckSHA256(lf.path, b, d.Size, d.SHA256) == nil {
				r.indices[d.SHA256] = b
				return b, nil
			}
		}
	}
	cached := ""
	if r.Cache != "" {
		cached = filepath.Join(r.Cache, "indices", d.SHA256)
		if b, err := os.ReadFile(cached); err == nil && CheckSHA256(cached, b, d.Size, d.SHA256) == nil {
			r.indices[d.SHA256] = b
			return b, nil
		}
	}
	if src == nil || r.Get == nil {
		return nil, os.ErrNotExist
	}
	u := strings.TrimSuffix(src.URI, "/") + "/dists/" + src.Suite + "/" + name
	b, err := r.Get.Get(ctx, u, 1<<30)
	if err != nil {
		return nil, err
	}
	if err := CheckSHA256(u, b, d.Size, d.SHA256); err != nil {
		return nil, err
	}
	r.indices[d.SHA256] = b
	if cached != "" {
		writeCache(cached, b)
	}
	return b, nil
}

func writeCache(p string, b []byte) {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return
	}
	tmp := p + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		os.Rename(tmp, p)
	}
}

// Fetch finds the .deb of package name at version for arch ("amd64"; a package of
// architecture all is found in every binary index) and proves it: signed InRelease, then the
// Packages index's SHA-256, then the .deb's SHA-256.
func (r *Resolver) Fetch(ctx context.Context, name, version, arch string) ([]byte, *Proof, error) {
	if r.Keyring == nil {
		return nil, nil, errors.New("no keyring to verify the archive's signature with")
	}
	var problems []string
	rels := r.releasesToTry(ctx, &problems)
	for _, rr := range rels {
		comps := rr.rel.Components
		if rr.src != nil && len(rr.src.Components) > 0 {
			comps = rr.src.Components
		}
		for _, comp := range comps {
			for _, ext := range []string{".xz", ".gz", "", ".zst"} {
				iname := comp + "/binary-" + arch + "/Packages" + ext
				if _, ok := rr.rel.SHA256[iname]; !ok {
					continue
				}
				data, err := r.index(ctx, rr.src, rr.rel, iname)
				if err != nil {
					if !errors.Is(err, os.ErrNotExist) {
						problems = append(problems, err.Error())
					}
					continue
				}
				z, err := decompressIndex(iname, data)
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s %s: %v", rr.where, iname, err))
					continue
				}
				e, err := FindPackage(z, name, version, arch)
				if err != nil {
					problems = append(problems, err.Error())
					continue
				}
				if e == nil || e.SHA256 == "" {
					break // this component's index does not list it: next component
				}
				deb, from, err := r.deb(ctx, rr.src, e)
				if err != nil {
					return nil, nil, err // a digest mismatch is never passed over
				}
				if deb == nil {
					problems = append(problems, fmt.Sprintf("%s lists %s but no copy of %s could be had", iname, e.Filename, path.Base(e.Filename)))
					continue
				}
				return deb, &Proof{Deb: path.Base(e.Filename), SHA256: e.SHA256, From: from, Index: iname,
					IndexSHA256: rr.rel.SHA256[iname].SHA256, Release: rr.where, Suite: rr.rel.Suite, Signer: rr.rel.Signer, Keyring: r.Keyring.Source}, nil
			}
		}
	}
	why := "no verified index lists it"
	if len(rels) == 0 {
		why = "no InRelease could be verified (no network, no mirror in the host's APT sources, and no InRelease in --packages-from)"
	}
	if len(problems) > 0 {
		why += " (" + strings.Join(problems[:min(len(problems), 4)], "; ") + ")"
	}
	return nil, nil, fmt.Errorf("%s %s (%s): %w: %s", name, version, arch, ErrNotFound, why)
}

// deb gets the package file an index entry names, checked against the entry's size and SHA-256:
// from the operator's folder, the cache, or the mirror.
func (r *Resolver) deb(ctx context.Context, src *Source, e *Entry) ([]byte, string, error) {
	base := path.Base(e.Filename)
	for _, lf := range r.local {
		if lf.sha256 == e.SHA256 {
			b, err := os.ReadFile(lf.path)
			if err != nil {
				return nil, "", err
			}
			return b, lf.path, CheckSHA256(lf.path, b, e.Size, e.SHA256)
		}
	}
	for _, lf := range r.local {
		if path.Base(lf.path) == base {
			// The operator's file has the right name but other bytes: refuse it outright.
			return nil, "", fmt.Errorf("%w: %s has SHA-256 %s, the signed index says %s", ErrDigest, lf.path, lf.sha256, e.SHA256)
		}
	}
	cached := ""
	if r.Cache != "" {
		cached = filepath.Join(r.Cache, "debs", base)
		if b, err := os.ReadFile(cached); err == nil && CheckSHA256(cached, b, e.Size, e.SHA256) == nil {
			return b, cached + " (cache of an earlier fetch)", nil
		}
	}
	if src == nil || r.Get == nil {
		return nil, "", nil
	}
	u := strings.TrimSuffix(src.URI, "/") + "/" + e.Filename
	b, err := r.Get.Get(ctx, u, e.Size+1)
	if err != nil {
		return nil, "", err
	}
	if err := CheckSHA256(u, b, e.Size, e.SHA256); err != nil {
		return nil, "", err
	}
	if cached != "" {
		writeCache(cached, b)
	}
	return b, u, nil
}
