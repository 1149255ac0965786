package engine

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers in onnx.proto.
const (
	modelGraphField       = 7  // ModelProto.graph
	graphNodeField        = 1  // GraphProto.node
	graphInitializerField = 5  // GraphProto.initializer
	nodeOpTypeField       = 4  // NodeProto.op_type
	tensorExternalField   = 13 // TensorProto.external_data
	stringEntryKeyField   = 1  // StringStringEntryProto.key
	stringEntryValueField = 2  // StringStringEntryProto.value
)

// onnxExternalFiles lists the external data files (relative locations) the
// main graph's initializers refer to, in first-seen order.
func onnxExternalFiles(data []byte) ([]string, error) {
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
	seen := map[string]bool{}
	var files []string
	err = walkFields(graph, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != graphInitializerField || typ != protowire.BytesType {
			return nil
		}
		return walkFields(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
			if num != tensorExternalField || typ != protowire.BytesType {
				return nil
			}
			var key, value string
			if err := walkFields(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
				switch {
				case num == stringEntryKeyField && typ == protowire.BytesType:
					key = string(v)
				case num == stringEntryValueField && typ == protowire.BytesType:
					value = string(v)
				}
				return nil
			}); err != nil {
				return err
			}
			if key == "location" && value != "" && !seen[value] {
				seen[value] = true
				files = append(files, value)
			}
			return nil
		})
	})
	return files, err
}

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
