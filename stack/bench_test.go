package stack_test

import (
	"testing"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/format"
)

// BenchmarkEmit measures what `cfnfargate emit` does after reading its
// settings: Build, then formatting as YAML and as JSON.
func BenchmarkEmit(b *testing.B) {
	for _, v := range benchVariants() {
		b.Run(v.name, func(b *testing.B) {
			cfg := v.cfg()
			b.ReportAllocs()
			var size int
			for b.Loop() {
				doc, err := stack.Build(cfg)
				if err != nil {
					b.Fatal(err)
				}
				y, err := format.YAML(doc)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := format.JSON(doc); err != nil {
					b.Fatal(err)
				}
				size = len(y)
			}
			b.ReportMetric(float64(size), "yaml-bytes")
		})
	}
}

// benchVariants are the smallest and the largest template.
func benchVariants() []variant {
	return []variant{variants[0], {name: "everything", cfg: everything}}
}
