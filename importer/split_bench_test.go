package importer

import (
	"bytes"
	"io"
	"testing"

	"github.com/quarrydb/quarry/bench/orders"
)

func BenchmarkSplitter(b *testing.B) {
	var buf bytes.Buffer
	if err := orders.New(20000).WriteInserts(&buf, 1, 20000, 1000); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		sp := NewSplitter(bytes.NewReader(buf.Bytes()))
		for {
			if _, err := sp.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}
