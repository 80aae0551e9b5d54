package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// --hardened turns on the controls that have a setting of their own
// (log-retention-days, deletion-protection, read-only-root-fs, ...) for
// the settings the user did not give. What counts as given:
//   - a value from a flag, a CFNFARGATE_ variable or the config file, even
//     at its default (--hardened --log-retention-days 30 keeps 30, and a
//     warning names the control it breaks);
//   - on a deploy, a value the stack keeps from an earlier release that
//     the user gave there (remember.go), even at its default.
//
// A value that --hardened gave is recorded as the hardened origin, not as
// the user's: the next deploy does not keep it, and gives it again only
// while hardened is on. Turning hardened off (--hardened=false, or
// --reset hardened) returns those settings to their defaults, or to what
// the user gives.

// originHardened is the origin of a value that --hardened gave: in the
// plan ("log-retention-days: 30 → 365 (hardened)") and in the release
// record.
const originHardened = "hardened"

// originHardenedOff is the plan's source of a value that --hardened gave
// in the stack's last release and that returns to its default because
// hardened is now off.
const originHardenedOff = "default, as hardened is off"

// harden gives the settings that no source gives, and that the stack does
// not keep as the user's, their hardened values when hardened is on
// (stack.Config.ApplyHardened). The keys it set are in Hardened, with the
// hardened origin, named in messages by where hardened came from.
func (src sourced) harden() sourced {
	out := src
	out.Hardened = map[string]bool{}
	if !src.Config.Hardened {
		return out
	}
	out.sources = maps.Clone(src.sources)
	by := src.sources[stack.KeyHardened].label
	if by == "" {
		by = "--" + stack.KeyHardened
	}
	for _, key := range out.Config.ApplyHardened(func(key string) bool { return src.sources[key].set }) {
		out.Hardened[key] = true
		out.sources[key] = source{label: by, set: true, origin: originHardened}
	}
	return out
}

// hardenedRemedies add to each warning about a control that hardened
// would pass (one that names hardened among its Related settings) what
// passes it: leaving the setting out, or, for a value the stack keeps
// from an earlier release, --reset. kept says where a setting's value is
// kept from ("release 3"), or "" when the run gives it.
func hardenedRemedies(warnings []stack.Problem, kept func(key string) string) []stack.Problem {
	out := make([]stack.Problem, 0, len(warnings))
	for _, w := range warnings {
		if slices.Contains(w.Related, stack.KeyHardened) {
			from := ""
			if kept != nil {
				from = kept(w.Key)
			}
			if from == "" {
				w.Message += fmt.Sprintf("; leave %s out to pass it", w.Key)
			} else {
				w.Message += fmt.Sprintf("; %s is kept from %s: give --reset %s to pass it", w.Key, from, w.Key)
			}
		}
		out = append(out, w)
	}
	return out
}

// keptFrom says where the value of a setting of src is kept from, for
// hardenedRemedies: "release 3", or "" for a value the run gives or that
// is not kept.
func keptFrom(src sourced) func(key string) string {
	return func(key string) string {
		if src.Given[key] {
			return ""
		}
		if o := src.sources[key].origin; strings.HasPrefix(o, "release ") || strings.HasPrefix(o, "the stack") {
			return o
		}
		return ""
	}
}

// hardenedCertificate is the problem of a hardened service without a
// domain that would have no certificate: its load balancer serves HTTPS
// only, so the HTTP-only mode of a template without a certificate is not
// open to it (stack.Config.AllowsHTTPOnly). certificate is the
// CertificateArn the stack would run with: the flag's, or the stack's
// parameter now when the flag is not given; exists says whether there is
// a stack. The problem names --certificate-arn and --domain-name.
func hardenedCertificate(c *cli.Context, s resolved, certificate string, exists bool) []stack.Problem {
	cfg := s.Config
	if !cfg.Hardened || cfg.Environment.Shared() || cfg.Domain.Name != "" || certificate != "" {
		return nil
	}
	why := "is required with " + s.label(stack.KeyHardened)
	switch {
	case c.IsSet("certificate-arn"):
		why = "is empty, and " + s.label(stack.KeyHardened) + " serves HTTPS only"
	case exists:
		why = "is not given, and the stack has none (it serves HTTP only); " + s.label(stack.KeyHardened) + " serves HTTPS only"
	}
	var check deploy.Check
	check.Add(s.label("certificate-arn"), "%s, with no HTTP listener (ELB.1, ELB.18): give the ARN of an issued ACM certificate in the stack's region, or %s (and %s) for a certificate the stack creates and validates",
		why, s.label(stack.KeyDomainName), s.label(stack.KeyHostedZoneID))
	return problemsOf(check.Err())
}
