package debrepo

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// testKey makes an armored public key that is not Debian's.
func testKey() string {
	e, err := openpgp.NewEntity("not debian", "", "x@example.org", nil)
	if err != nil {
		panic(err)
	}
	var b bytes.Buffer
	w, _ := armor.Encode(&b, openpgp.PublicKeyType, nil)
	e.Serialize(w)
	w.Close()
	return b.String()
}

// FuzzInRelease: any input is refused or read without panic, and only when signed.
func FuzzInRelease(f *testing.F) {
	f.Add([]byte("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nSuite: x\nSHA256:\n 00 1 a\n-----BEGIN PGP SIGNATURE-----\n\nwsBc\n-----END PGP SIGNATURE-----\n"))
	f.Add([]byte("Suite: bookworm\nSHA256:\n e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 main/binary-amd64/Packages\n"))
	k, err := DebianKeyring()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if r, err := VerifyInRelease(data, k, time.Now()); err == nil && r == nil {
			t.Fatal("no error and no release")
		}
		var r Release
		r.SHA256 = map[string]Digest{}
		parseRelease(data, &r)
	})
}

// FuzzPackages: a Packages index of any shape is scanned without panic.
func FuzzPackages(f *testing.F) {
	f.Add([]byte("Package: procps\nVersion: 2:4.0.2-3\nArchitecture: amd64\nFilename: pool/main/p/procps/x.deb\nSize: 10\nSHA256: ab\n\n"))
	f.Add([]byte("Package: a\n Description continued\n\n\nPackage: b\nVersion"))
	f.Fuzz(func(t *testing.T, data []byte) {
		FindPackage(bytes.NewReader(data), "procps", "", "amd64")
		ParseSourcesList(data)
		ParseDeb822Sources(data)
		if e, _ := FindPackage(bytes.NewReader(data), "procps", "2:4.0.2-3", "amd64"); e != nil && (e.Package != "procps" || !strings.Contains(e.Version, "4.0.2")) {
			t.Fatalf("wrong entry %+v", e)
		}
	})
}
