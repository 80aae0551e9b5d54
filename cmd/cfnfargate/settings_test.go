package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// TestCommasStayInValues proves that a flag's value may hold a comma
// (--env "GREETING=hello, world", --tag team=a,b), and that lists are
// comma-separated only where the README says so: the subnet flags, and
// the variables of repeatable flags, where "\," is a comma in a value.
func TestCommasStayInValues(t *testing.T) {
	t.Run("emit", func(t *testing.T) {
		tests := []struct {
			name string
			env  map[string]string
			args []string
			want []string
		}{
			{"env flag", nil, []string{"--env", "GREETING=hello, world"}, []string{"Value: hello, world"}},
			{"tag flag", nil, []string{"--tag", "team=a/b c"}, []string{"Value: a/b c"}},
			{"allow-cidr repeated", nil, []string{"--allow-cidr", "10.0.0.0/8", "--allow-cidr", "192.168.0.0/16"},
				[]string{"CidrIp: 10.0.0.0/8", "CidrIp: 192.168.0.0/16"}},
			{"env variable with an escaped comma", map[string]string{"CFNFARGATE_ENV": `GREETING=hello\, world,MODE=prod`}, nil,
				[]string{"Value: hello, world", "Name: MODE"}},
			{"list variable", map[string]string{"CFNFARGATE_ALLOW_CIDR": "10.0.0.0/8, 192.168.0.0/16"}, nil,
				[]string{"CidrIp: 10.0.0.0/8", "CidrIp: 192.168.0.0/16"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				emitContains(t, tt.env, tt.args, tt.want)
			})
		}
	})

	// AWS allows no comma in a tag; the value is refused whole, rather than
	// split into "team=a" and a "b" without "=".
	clearEnv(t)
	if code, _, stderr := runCLI(t, "emit", "--tag", "team=a,b"); code != deploy.ExitInput ||
		!strings.Contains(stderr, "--tag: team=a,b has characters AWS does not allow") || strings.Contains(stderr, "expected KEY=VALUE") {
		t.Errorf("--tag team=a,b: exit %d, stderr %s", code, stderr)
	}

	t.Run("deploy", func(t *testing.T) {
		const subnets = "subnet-0aaa1111bbb22223a,subnet-0aaa1111bbb22223b"
		const private = "subnet-0ccc3333ddd44445c"
		// network without the subnets
		base := []string{"--stack", "shop", "--vpc-id", "vpc-0abc1234def567890", "--certificate-arn", network[len(network)-1]}
		tests := []struct {
			name       string
			env        map[string]string
			args       []string
			wantParams map[string]string
			wantTags   map[string]string
		}{
			{"subnets comma-separated", nil, []string{"--public-subnets", subnets, "--private-subnets", private},
				map[string]string{"PublicSubnetIds": subnets, "PrivateSubnetIds": private}, map[string]string{}},
			{"subnets repeated", nil, []string{"--public-subnets", "subnet-0aaa1111bbb22223a", "--public-subnets", "subnet-0aaa1111bbb22223b", "--private-subnets", private},
				map[string]string{"PublicSubnetIds": subnets, "PrivateSubnetIds": private}, map[string]string{}},
			{"subnets variables", map[string]string{"CFNFARGATE_PUBLIC_SUBNETS": subnets, "CFNFARGATE_PRIVATE_SUBNETS": private}, nil,
				map[string]string{"PublicSubnetIds": subnets, "PrivateSubnetIds": private}, map[string]string{}},
			{"tags variable", map[string]string{"CFNFARGATE_TAG": "team=payments,env=prod"}, []string{"--public-subnets", subnets},
				map[string]string{"PublicSubnetIds": subnets}, map[string]string{"team": "payments", "env": "prod"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in, err := captureInputEnv(t, tt.env, append(append([]string{}, base...), tt.args...)...)
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range tt.wantParams {
					if in.Parameters[k] != v {
						t.Errorf("%s = %q, want %q", k, in.Parameters[k], v)
					}
				}
				if !reflect.DeepEqual(in.Tags, tt.wantTags) {
					t.Errorf("tags = %v, want %v", in.Tags, tt.wantTags)
				}
			})
		}
	})

	for raw, want := range map[string][]string{
		"":                 nil,
		"a":                {"a"},
		"a,b":              {"a", "b"},
		` a , b `:          {"a", "b"},
		`x=1\,2,y`:         {"x=1,2", "y"},
		`a\b,c`:            {`a\b`, "c"},
		`trailing\,`:       {"trailing,"},
		"a,,b":             {"a", "", "b"},
		`GREETING=hi\, yo`: {"GREETING=hi, yo"},
	} {
		if got := splitList(raw); !reflect.DeepEqual(got, want) {
			t.Errorf("splitList(%q) = %q, want %q", raw, got, want)
		}
	}
}
