package investigate

import "context"

// webState holds what the web server logs say (see webLogs).
type webState struct{}

// webLogs reads the web servers' access and error logs: attacks, requests to web shells check
// found, uploads followed by requests to the uploaded file, scanners.
func (v *investigation) webLogs(ctx context.Context) {}
