package stack

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

func (v *validator) scaling(s Scaling) {
	if !s.Enabled() {
		return // the other settings have no effect; see Warnings
	}
	v.intRange(KeyMinCount, s.MinCount, 0, maxDesiredCount)
	v.intRange(KeyMaxCount, s.MaxCount, 1, maxDesiredCount)
	if s.MinCount > s.MaxCount {
		v.addCross(KeyMinCount, []string{KeyMaxCount}, "min-count %d is above max-count %d", s.MinCount, s.MaxCount)
	}
	if s.CPUPercent == 0 && s.RequestsPerTarget == 0 {
		v.addCross(KeyMaxCount, []string{KeyScaleCPUPercent, KeyScaleRequestsPerTarget},
			"max-count %d turns autoscaling on, which needs a target: set scale-cpu-percent, scale-requests-per-target, or both", s.MaxCount)
	}
	if s.CPUPercent != 0 {
		v.intRange(KeyScaleCPUPercent, s.CPUPercent, 1, 100)
	}
	if s.RequestsPerTarget != 0 {
		v.intRange(KeyScaleRequestsPerTarget, s.RequestsPerTarget, 1, 1000000)
	}
	v.intRange(KeyScaleInCooldown, s.ScaleInCooldown, 0, 3600)
	v.intRange(KeyScaleOutCooldown, s.ScaleOutCooldown, 0, 3600)
}

var (
	domainLabel     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	hostedZonePatt  = regexp.MustCompile(`^[A-Z0-9]{1,32}$`)
	bucketPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	clusterPattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	platformPattern = regexp.MustCompile(`^(LATEST|1\.4\.0)$`)
)

func (v *validator) domain(d Domain) {
	if d.Name == "" {
		return // a hosted zone alone has no effect; see Warnings
	}
	name := strings.TrimSuffix(d.Name, ".")
	labels := strings.Split(name, ".")
	valid := len(name) <= 253 && len(labels) >= 2
	for _, l := range labels {
		if !domainLabel.MatchString(l) {
			valid = false
		}
	}
	switch {
	case !valid:
		v.add(KeyDomainName, "%q is not a fully qualified domain name: use lowercase labels of letters, digits and hyphens, e.g. app.example.com", d.Name)
	case len(name) > 64:
		// The stack may create the certificate, and ACM limits a
		// certificate's domain name to 64 characters.
		v.add(KeyDomainName, "%q is %d characters long: an ACM certificate's domain name allows up to 64", d.Name, len(name))
	}
	switch {
	case d.HostedZoneID == "":
		v.addCross(KeyHostedZoneID, []string{KeyDomainName}, "is required with domain-name %s: the Route 53 hosted zone (Z...) that holds it", d.Name)
	case !hostedZonePatt.MatchString(d.HostedZoneID):
		v.add(KeyHostedZoneID, "%q is not a Route 53 hosted zone ID: expected uppercase letters and digits, e.g. Z0123456789ABCDEFGHIJ (without /hostedzone/)", d.HostedZoneID)
	}
}

var (
	secretsManagerARN = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+(:[^:$]*:[^:$]*:[^:$]*)?$`)
	ssmParameterARN   = regexp.MustCompile(`^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9/_.-]+$`)
)

func (v *validator) secrets(secrets []Secret, env []EnvVar) {
	seen := map[string]bool{}
	for _, e := range env {
		seen[e.Name] = true
	}
	for _, s := range secrets {
		switch {
		case !envNamePattern.MatchString(s.Name):
			v.add(KeySecret, "%q is not a valid variable name: use letters, digits and underscores, not starting with a digit (NAME=ARN)", s.Name)
		case seen[s.Name]:
			v.addCross(KeySecret, []string{KeyEnv}, "%s is set twice (as a secret or an env variable): give each variable once", s.Name)
		}
		seen[s.Name] = true
		if !secretsManagerARN.MatchString(s.ARN) && !ssmParameterARN.MatchString(s.ARN) {
			v.add(KeySecret, "%s: %q is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME) or an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)", s.Name, s.ARN)
		}
	}
}

// spot checks the Spot split. Fargate Spot runs ARM64 tasks on platform
// version 1.4.0 or later (ECS API reference, CapacityProviderStrategyItem,
// since 2024-09), and platformVersion allows only LATEST and 1.4.0, so any
// architecture goes with Spot.
func (v *validator) spot(s Spot) {
	if !s.Enabled {
		return // spot-base and spot-weight have no effect; see Warnings
	}
	v.intRange(KeySpotBase, s.Base, 0, 100000)
	v.intRange(KeySpotWeight, s.Weight, 0, 1000)
}

func (v *validator) arch(arch string) {
	if arch != ArchX86 && arch != ArchARM64 {
		v.add(KeyArch, "%q is not a CPU architecture: use %s or %s", arch, ArchX86, ArchARM64)
	}
}

var wafACLARN = regexp.MustCompile(`^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[A-Za-z0-9_-]{1,128}/[a-f0-9-]{36}$`)

func (v *validator) loadBalancer(lb LoadBalancer) {
	if lb.Internal && len(lb.AllowCIDRs) == 0 {
		v.addCross(KeyAllowCIDR, []string{KeyInternal}, "internal is on, and an internal load balancer needs at least one source network in allow-cidr, e.g. 10.0.0.0/8")
	}
	seen := map[string]bool{}
	perFamily := map[bool]int{}
	for _, c := range lb.AllowCIDRs {
		p, err := netip.ParsePrefix(c)
		switch {
		case strings.Contains(c, ","):
			v.add(KeyAllowCIDR, "%q holds more than one network: give one network per allow-cidr value, repeated", c)
			continue
		case err != nil || p.Masked() != p:
			v.add(KeyAllowCIDR, "%q is not a network in CIDR notation: use e.g. 10.0.0.0/16 or 2001:db8::/32, with no host bits set", c)
			continue
		case seen[p.String()]:
			v.add(KeyAllowCIDR, "%s is given twice: EC2 rejects duplicate rules", c)
		case p.Addr().Is6() && !lb.DualStack:
			v.addCross(KeyAllowCIDR, []string{KeyDualStack}, "%s is an IPv6 network, but dualstack is off and the load balancer IPv4 only: turn dualstack on", c)
		}
		seen[p.String()] = true
		perFamily[p.Addr().Is4()]++
	}
	// Each network opens two ports, and a security group holds 60 inbound
	// rules per address family by default (VPC quotas).
	for is4, n := range perFamily {
		if n > maxNetworksPerFamily {
			family := map[bool]string{true: "IPv4", false: "IPv6"}[is4]
			v.add(KeyAllowCIDR, "%d %s networks: allowed up to %d, as each takes two of the security group's 60 %s rules", n, family, maxNetworksPerFamily, family)
		}
	}
	if b := lb.AccessLogs.Bucket; b != "" {
		if !bucketPattern.MatchString(b) || strings.Contains(b, "..") || isIPv4(b) {
			v.add(KeyAccessLogsBucket, "%q is not an S3 bucket name: use 3 to 63 lowercase letters, digits, dots and hyphens", b)
		}
	}
	if p := lb.AccessLogs.Prefix; p != "" && (strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "AWSLogs") || len(p) > 200) {
		v.add(KeyAccessLogsPrefix, "%q is not allowed: no leading or trailing slash, no \"AWSLogs\", up to 200 characters", p)
	}
	if lb.WAFWebACLArn != "" && !wafACLARN.MatchString(lb.WAFWebACLArn) {
		v.add(KeyWAFACLArn, "%q is not a regional WAFv2 web ACL ARN: expected arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID", lb.WAFWebACLArn)
	}
	if lb.IdleTimeout != 0 {
		v.intRange(KeyIdleTimeout, lb.IdleTimeout, 1, 4000)
	}
	if lb.Stickiness != 0 {
		v.intRange(KeyStickiness, lb.Stickiness, 1, 604800)
	}
}

const maxNetworksPerFamily = 30

func isIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

// deployment checks that ECS can make progress in a rolling deployment. It
// rounds the lower bound up and the upper bound down: with one task,
// min-healthy-percent 50 and max-percent 150 both come to one task, so ECS
// can neither start a new task nor stop the old one.
func (v *validator) deployment(s Service, scaling Scaling) {
	v.intRange(KeyMinHealthyPercent, s.MinHealthyPercent, 0, 100)
	v.intRange(KeyMaxPercent, s.MaxPercent, 100, 400)
	lo, hi := s.DesiredCount, s.DesiredCount
	if scaling.Enabled() {
		lo, hi = max(scaling.MinCount, 1), scaling.MaxCount
	}
	for n := max(lo, 1); n <= hi; n++ {
		least := (n*s.MinHealthyPercent + 99) / 100
		most := n * s.MaxPercent / 100
		if most <= least {
			v.addCross(KeyMaxPercent, []string{KeyMinHealthyPercent, KeyDesiredCount, KeyMinCount, KeyMaxCount}, "with %d task(s), min-healthy-percent %d and max-percent %d both allow %d running task(s), so a deployment can neither start a new task nor stop an old one: lower min-healthy-percent or raise max-percent",
				n, s.MinHealthyPercent, s.MaxPercent, most)
			return
		}
	}
}

// maxWritablePaths bounds --writable-path: each is a volume and a mount
// point, and a handful covers every image we know.
const maxWritablePaths = 20

var writablePathPattern = regexp.MustCompile(`^(/[A-Za-z0-9_.-]+)+$`)

// writablePaths checks the writable directories of a read-only root
// filesystem. Each becomes a task volume named after it, and ECS allows
// only letters, digits, hyphens and underscores, up to 255, in a volume
// name (ECS API reference, Volume), so paths keep to those characters and
// dots.
func (v *validator) writablePaths(c Container) {
	if len(c.WritablePaths) == 0 {
		return
	}
	if !c.ReadOnlyRootFilesystem {
		return // no effect; see Warnings
	}
	if len(c.WritablePaths) > maxWritablePaths {
		v.add(KeyWritablePath, "%d paths: allowed up to %d", len(c.WritablePaths), maxWritablePaths)
	}
	seen := map[string]bool{}
	for _, p := range c.WritablePaths {
		clean := strings.TrimSuffix(p, "/")
		switch {
		case !writablePathPattern.MatchString(clean) || len(clean) > 200:
			v.add(KeyWritablePath, "%q is not an absolute directory path: use / and letters, digits, dots, hyphens and underscores, up to 200 characters, e.g. /var/cache/nginx", p)
		case slices.Contains(strings.Split(clean, "/"), "..") || slices.Contains(strings.Split(clean, "/"), "."):
			v.add(KeyWritablePath, "%q has . or .. in it: give the directory's plain absolute path", p)
		case seen[clean]:
			v.add(KeyWritablePath, "%s is given twice", p)
		}
		seen[clean] = true
	}
}

// execAndReadOnly: the SSM agent that ECS Exec runs writes into the
// container's filesystem, so ECS Exec does not work with a read-only root
// filesystem (ECS developer guide, "Considerations for ECS Exec").
func (v *validator) execAndReadOnly(c Config) {
	if c.Service.EnableExec && c.Container.ReadOnlyRootFilesystem {
		v.addCross(KeyEnableExec, []string{KeyReadOnlyRootFS}, "ECS Exec does not work with a read-only root filesystem (its agent writes into the container): leave out enable-exec or read-only-root-fs")
	}
}

func (v *validator) containerHealthCheck(h ContainerHealthCheck) {
	if h.Command == "" {
		return
	}
	if strings.TrimSpace(h.Command) == "" || strings.ContainsAny(h.Command, "\n\r") {
		v.add(KeyContainerHealthCheck, "must be one shell command line, e.g. \"curl -f http://localhost/ || exit 1\"")
	}
	v.intRange(KeyContainerHCInterval, h.Interval, 5, 300)
	v.intRange(KeyContainerHCTimeout, h.Timeout, 2, 60)
	v.intRange(KeyContainerHCRetries, h.Retries, 1, 10)
	v.intRange(KeyContainerHCStartPeriod, h.StartPeriod, 0, 300)
	if h.Timeout >= h.Interval {
		v.addCross(KeyContainerHCTimeout, []string{KeyContainerHCInterval},
			"container-health-check-timeout %d s must be shorter than container-health-check-interval %d s", h.Timeout, h.Interval)
	}
}

func (v *validator) cluster(name string) {
	if name != "" && !clusterPattern.MatchString(name) {
		v.add(KeyCluster, "%q is not an ECS cluster name: use up to 255 letters, digits, hyphens and underscores", name)
	}
}

func (v *validator) platformVersion(pv string) {
	if !platformPattern.MatchString(pv) {
		v.add(KeyPlatformVersion, "%q is not a Fargate platform version for Linux: use LATEST or 1.4.0 (1.3.0 lacks ECS Exec, ephemeral storage, arm64 and secret JSON keys)", pv)
	}
}

var tagChars = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// tags checks the resource tags. AWS counts their lengths in Unicode
// characters, not bytes: keys 1 to 128, values up to 256 ("Tagging AWS
// resources", tag naming limits).
func (v *validator) tags(tags []Tag) {
	var keys []string
	for _, t := range tags {
		switch {
		case t.Key == "" || utf8.RuneCountInString(t.Key) > 128:
			v.add(KeyTag, "key %q must be 1 to 128 characters (KEY=VALUE)", t.Key)
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			v.add(KeyTag, "key %q starts with aws:, which AWS reserves", t.Key)
		case slices.Contains(keys, t.Key):
			v.add(KeyTag, "key %q is set twice", t.Key)
		}
		if !tagChars.MatchString(t.Key) || !tagChars.MatchString(t.Value) {
			v.add(KeyTag, "%s=%s has characters AWS does not allow in tags: use letters, digits, spaces and _ . : / = + - @", t.Key, t.Value)
		}
		if n := utf8.RuneCountInString(t.Value); n > 256 {
			v.add(KeyTag, "value of %q is %d characters: allowed up to 256", t.Key, n)
		}
		keys = append(keys, t.Key)
	}
	if len(tags) > 40 {
		v.add(KeyTag, "%d tags: allowed up to 40, so that ECS can add its own managed tags within the limit of 50", len(tags))
	}
}
