//go:build !linux || !cgo

package cudalibs

import "errors"

// Preload is only available on Linux builds with cgo; elsewhere the CUDA
// libraries must be on the system loader's path.
func Preload(r Report) error {
	if err := r.Err(); err != nil {
		return err
	}
	return errors.New("cudalibs: preloading needs a Linux build with cgo; put the CUDA libraries on the loader path instead")
}
