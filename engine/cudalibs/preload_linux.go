//go:build linux && cgo

package cudalibs

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>

static void *nlpscope_dlopen(const char *path, char **err) {
	void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		*err = dlerror();
	}
	return h;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Preload opens every library Find found, in order, with RTLD_GLOBAL, so
// that when ONNX Runtime later loads its CUDA provider the dynamic linker
// finds each of the provider's dependencies already loaded (by soname),
// whatever LD_LIBRARY_PATH was when the process started. The handles stay
// open for the life of the process. The driver (libcuda.so.1) is left to the
// system loader.
func Preload(r Report) error {
	if err := r.Err(); err != nil {
		return err
	}
	for _, f := range r.Found {
		if f.Soname == "libcuda.so.1" {
			continue
		}
		cs := C.CString(f.Path)
		var cerr *C.char
		h := C.nlpscope_dlopen(cs, &cerr)
		C.free(unsafe.Pointer(cs))
		if h == nil {
			msg := "unknown error"
			if cerr != nil {
				msg = C.GoString(cerr)
			}
			return fmt.Errorf("%w: load %s (%s): %s", ErrMissing, f.Path, f.Component, msg)
		}
	}
	return nil
}
