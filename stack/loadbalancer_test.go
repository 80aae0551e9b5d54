package stack_test

import (
	"testing"

	"github.com/cfnfargate/cfnfargate/stack"
)

// TestMinSubnets proves that the subnet list the load balancer is built
// in needs two subnets and the other one, for every variant: the public
// list for an internet-facing load balancer, the private one for an
// internal one.
func TestMinSubnets(t *testing.T) {
	t.Parallel()
	sawInternal := false
	for _, v := range allVariants() {
		cfg := v.cfg()
		sawInternal = sawInternal || cfg.LoadBalancer.Internal
		public, private := cfg.MinSubnets()
		want := map[string]int{stack.ParamPublicSubnetIDs: 1, stack.ParamPrivateSubnetIDs: 1}
		lbSubnets := at(t, props(t, document(t, cfg), "LoadBalancer"), "Subnets", "Ref").(string)
		want[lbSubnets] = 2
		if public != want[stack.ParamPublicSubnetIDs] || private != want[stack.ParamPrivateSubnetIDs] {
			t.Errorf("%s: MinSubnets() = %d public, %d private; the load balancer is in %s, so want %v",
				v.name, public, private, lbSubnets, want)
		}
	}
	if !sawInternal {
		t.Error("no variant has an internal load balancer")
	}
}
