package engine

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers in onnx.proto.
const (
	modelGraphField = 7 // ModelProto.graph
	graphNodeField  = 1 // GraphProto.node
	nodeOpTypeField = 4 // NodeProto.op_type
)

var errNotONNX = errors.New("not an ONNX protobuf")

// onnxOpTypes lists the operator types of a model's main graph by walking the
// protobuf wire format, without decoding weights. It never panics on bad
// input; malformed data yields errNotONNX.
func onnxOpTypes(data []byte) (map[string]bool, error) {
	ops := map[string]bool{}
	var graph []byte
	err := walkFields(data, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num == modelGraphField && typ == protowire.BytesType {
			graph = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if graph == nil {
		return nil, errNotONNX
	}
	err = walkFields(graph, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != graphNodeField || typ != protowire.BytesType {
			return nil
		}
		return walkFields(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
			if num == nodeOpTypeField && typ == protowire.BytesType {
				ops[string(v)] = true
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return ops, nil
}

// walkFields calls fn for every field of one protobuf message. v is the
// payload of length-delimited fields and nil for the others.
func walkFields(b []byte, fn func(protowire.Number, protowire.Type, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errNotONNX
		}
		b = b[n:]
		var v []byte
		if typ == protowire.BytesType {
			v, n = protowire.ConsumeBytes(b)
		} else {
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return errNotONNX
		}
		b = b[n:]
		if err := fn(num, typ, v); err != nil {
			return err
		}
	}
	return nil
}
