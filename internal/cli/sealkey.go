package cli

import "aead.dev/minisign"

type sealKey struct{ k minisign.PrivateKey }
