package stack

import (
	"fmt"
	"slices"
	"strings"
)

// Warnings reports settings that are valid but likely not what the user
// wants: settings that have no effect in the chosen mode, and choices that
// deploy but will not work. Callers print them; they never stop a build.
func (c Config) Warnings() []Problem {
	var w []Problem
	w = append(w, noEffect(c)...)
	w = append(w, conditionWarnings(c)...)
	// In a shared environment, the load balancer's and the cluster's
	// controls are the environment's stack's.
	w = append(w, hardenedWarnings(c, func(p Place) bool { return !c.Environment.Shared() || p != PlaceEnvironment })...)
	if missing := nginxUnwritable(c.Container); len(missing) > 0 {
		w = append(w, Problem{Key: KeyWritablePath, Related: []string{KeyImage, KeyReadOnlyRootFS}, Message: fmt.Sprintf(
			"the image %s looks like nginx, which writes to /var/cache/nginx and /var/run at start-up and exits on a read-only root filesystem without them; make %s writable with writable-path",
			c.Container.Image, strings.Join(missing, " and "))})
	}
	if u := c.Container.User; u != "" && !rootUser(u) && c.Container.Port < 1024 {
		// A process that is not root may not bind a port below 1024, and
		// ECS offers containers no way around it (containers-roadmap #1721).
		w = append(w, Problem{Key: KeyContainerPort, Related: []string{KeyUser}, Message: fmt.Sprintf(
			"%d is below 1024, which user %s cannot bind unless it is root: make the app listen on 1024 or above (the nginx-unprivileged image listens on 8080) and give that port", c.Container.Port, u)})
	}
	if c.Service.Spot.Enabled && c.Service.Cluster != "" {
		// ECS cannot move a service from a capacity provider strategy back
		// to a launch type, and CloudFormation ignores a strategy that
		// disappears from the template (AWS::ECS::Service reference).
		w = append(w, Problem{Key: KeySpot, Related: []string{KeyCluster}, Message: fmt.Sprintf(
			"the cluster %s must already have the FARGATE and FARGATE_SPOT capacity providers; and turning spot off later leaves the service on its Spot strategy, as ECS cannot move a service back to a launch type: to run without Spot then, keep spot on and raise spot-base to the task count", c.Service.Cluster)})
	}
	if p := c.LoadBalancer.SSLPolicy; sslPolicyName.MatchString(p) && !slices.Contains(SSLPolicies, p) {
		w = append(w, Problem{Key: KeySSLPolicy, Message: fmt.Sprintf(
			"%q is not one of the policies cfnfargate knows; ELB rejects an unknown name when it creates the listener (check it with: aws elbv2 describe-ssl-policies --names %s)", p, p)})
	}
	return w
}

// EnvironmentWarnings reports, like Warnings, the settings of an
// environment's stack that are valid but likely not what the user wants.
func (c Config) EnvironmentWarnings() []Problem {
	return hardenedWarnings(c, func(p Place) bool { return p != PlaceService })
}

// noEffect reports settings changed from their defaults that the chosen
// mode ignores, each naming the setting that would turn them on.
func noEffect(c Config) []Problem {
	d := Default()
	var w []Problem
	ignored := func(key, needs, how string) {
		w = append(w, Problem{Key: key, Related: []string{needs}, Message: fmt.Sprintf("has no effect without %s: %s, or leave it out", needs, how)})
	}
	if s := c.Service.Spot; !s.Enabled {
		if s.Base != d.Service.Spot.Base {
			ignored(KeySpotBase, KeySpot, "turn spot on")
		}
		if s.Weight != d.Service.Spot.Weight {
			ignored(KeySpotWeight, KeySpot, "turn spot on")
		}
	}
	if s := c.Scaling; !s.Enabled() {
		for key, changed := range map[string]bool{
			KeyMinCount:               s.MinCount != d.Scaling.MinCount,
			KeyScaleCPUPercent:        s.CPUPercent != d.Scaling.CPUPercent,
			KeyScaleRequestsPerTarget: s.RequestsPerTarget != d.Scaling.RequestsPerTarget,
			KeyScaleInCooldown:        s.ScaleInCooldown != d.Scaling.ScaleInCooldown,
			KeyScaleOutCooldown:       s.ScaleOutCooldown != d.Scaling.ScaleOutCooldown,
		} {
			if changed {
				ignored(key, KeyMaxCount, "set max-count to turn autoscaling on")
			}
		}
	} else if c.Service.DesiredCount != d.Service.DesiredCount {
		w = append(w, Problem{Key: KeyDesiredCount, Related: []string{KeyMaxCount}, Message: fmt.Sprintf(
			"has no effect with autoscaling (max-count %d): the service starts at min-count and scales; leave desired-count out", c.Scaling.MaxCount)})
	}
	if h := c.Container.HealthCheck; h.Command == "" {
		dh := d.Container.HealthCheck
		for key, changed := range map[string]bool{
			KeyContainerHCInterval:    h.Interval != dh.Interval,
			KeyContainerHCTimeout:     h.Timeout != dh.Timeout,
			KeyContainerHCRetries:     h.Retries != dh.Retries,
			KeyContainerHCStartPeriod: h.StartPeriod != dh.StartPeriod,
		} {
			if changed {
				ignored(key, KeyContainerHealthCheck, "give the health-check command")
			}
		}
	}
	if c.Domain.Name == "" && c.Domain.HostedZoneID != "" {
		ignored(KeyHostedZoneID, KeyDomainName, "give the domain name to serve")
	}
	if e := c.Environment; !e.Shared() {
		// Without any environment, a host or a path is an error
		// (validator.routing).
		for key, changed := range map[string]bool{
			KeyHost:     len(e.Hosts) > 0 && e.Name != "",
			KeyPath:     len(e.Paths) > 0 && e.Name != "",
			KeyPriority: e.Priority != 0,
		} {
			if changed {
				ignored(key, KeyEnvironment, "the service has a load balancer of its own; give the environment, without dedicated-alb, to share one")
			}
		}
	}
	if dd, dl := c.Deployment, d.Deployment; !dd.Progressive() {
		for key, changed := range map[string]bool{
			KeyBake:                  dd.Bake != dl.Bake,
			KeyPauseBeforeProduction: dd.PauseBeforeProduction,
			KeyTestHeader:            dd.TestHeader != "",
		} {
			if changed {
				ignored(key, KeyStrategy, "a rolling deployment has no bake, gate or test traffic; choose strategy blue-green, canary or linear")
			}
		}
	}
	if dd, dl := c.Deployment, d.Deployment; dd.Strategy != StrategyCanary {
		for key, changed := range map[string]bool{
			KeyCanaryPercent: dd.CanaryPercent != dl.CanaryPercent,
			KeyCanaryWait:    dd.CanaryWait != dl.CanaryWait,
		} {
			if changed {
				ignored(key, KeyStrategy, "set strategy canary")
			}
		}
	}
	if dd, dl := c.Deployment, d.Deployment; dd.Strategy != StrategyLinear {
		for key, changed := range map[string]bool{
			KeyLinearPercent:  dd.LinearPercent != dl.LinearPercent,
			KeyLinearInterval: dd.LinearInterval != dl.LinearInterval,
		} {
			if changed {
				ignored(key, KeyStrategy, "set strategy linear")
			}
		}
	}
	if dd := c.Deployment; !dd.PauseBeforeProduction && dd.PauseTimeout != d.Deployment.PauseTimeout {
		ignored(KeyPauseTimeout, KeyPauseBeforeProduction, "turn pause-before-production on")
	}
	if c.LoadBalancer.AccessLogs.Bucket == "" && c.LoadBalancer.AccessLogs.Prefix != "" && !c.Hardened {
		ignored(KeyAccessLogsPrefix, KeyAccessLogsBucket, "give the bucket")
	}
	if !c.Container.ReadOnlyRootFilesystem && !slices.Equal(c.Container.WritablePaths, d.Container.WritablePaths) {
		ignored(KeyWritablePath, KeyReadOnlyRootFS, "every path is writable without it; turn read-only-root-fs on")
	}
	slices.SortFunc(w, func(a, b Problem) int { return strings.Compare(a.Key, b.Key) })
	return w
}

// nginxWritable are the directories the official nginx image writes to at
// start-up ("Running nginx in read-only mode", the image's documentation).
var nginxWritable = []string{"/var/cache/nginx", "/var/run"}

// nginxUnwritable returns the directories nginx needs that a read-only
// container of an nginx image cannot write to.
func nginxUnwritable(c Container) []string {
	if !c.ReadOnlyRootFilesystem || imageRepositoryName(c.Image) != "nginx" {
		return nil
	}
	writable := c.WritablePaths
	if len(writable) == 0 {
		writable = DefaultWritablePaths
	}
	var missing []string
	for _, need := range nginxWritable {
		covered := slices.ContainsFunc(writable, func(p string) bool {
			p = strings.TrimSuffix(p, "/")
			if p == "/run" {
				// In the image's Debian base, /var/run is a link to /run.
				p = "/var/run"
			}
			return need == p || strings.HasPrefix(need, p+"/")
		})
		if !covered {
			missing = append(missing, need)
		}
	}
	return missing
}
