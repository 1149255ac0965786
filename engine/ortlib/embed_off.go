//go:build !ortembed

package ortlib

var (
	gzData  []byte
	sumData string
)
