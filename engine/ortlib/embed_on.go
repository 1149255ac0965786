//go:build ortembed

package ortlib

import _ "embed"

// Written by scripts/setup-ort.sh (not committed).
//
//go:embed libonnxruntime.so.1.gz
var gzData []byte

//go:embed libonnxruntime.so.1.sha256
var sumData string
