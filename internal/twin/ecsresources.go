package twin

import (
	"fmt"
	"strings"
)

// The ECS resource types, as CloudFormation's handlers drive them.

type clusterProvider struct{}

func (clusterProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	name := str(props["ClusterName"])
	if name == "" {
		name = physicalName(tw, st, r.logical, 255)
	}
	cl := tw.ecs.cluster(tw, name)
	r.physical = cl.name
	r.attrs = map[string]any{"Arn": cl.arn}
	return nil, nil
}
func (clusterProvider) update(*Twin, *cfnStack, *cfnResource, map[string]any, map[string]any, bool) (waitFunc, error) {
	return nil, nil
}
func (clusterProvider) remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error) {
	for _, svc := range tw.ecs.services {
		if svc.cluster == r.physical && svc.status == "ACTIVE" {
			return nil, fmt.Errorf("ClusterContainsServicesException: The Cluster cannot be deleted while Services are active.")
		}
	}
	delete(tw.ecs.clusters, r.physical)
	return nil, nil
}

type taskDefinitionProvider struct{}

func (taskDefinitionProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	if str(props["Family"]) == "" {
		props["Family"] = physicalName(tw, st, r.logical, 255)
	}
	td := tw.ecs.registerTaskDef(tw, props)
	r.physical = td.arn
	r.attrs = map[string]any{"TaskDefinitionArn": td.arn}
	return nil, nil
}
func (taskDefinitionProvider) update(*Twin, *cfnStack, *cfnResource, map[string]any, map[string]any, bool) (waitFunc, error) {
	return nil, nil
}
func (taskDefinitionProvider) remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error) {
	if td := tw.ecs.taskDefs[r.physical]; td != nil {
		td.status = "INACTIVE"
	}
	return nil, nil
}

// serviceSettings are the top-level service properties besides the
// deployment configuration, load balancers, task definition and count.
var serviceSettings = []string{"NetworkConfiguration", "CapacityProviderStrategy", "LaunchType", "PlatformVersion",
	"EnableExecuteCommand", "HealthCheckGracePeriodSeconds", "PropagateTags", "EnableECSManagedTags", "AvailabilityZoneRebalancing"}

type serviceProvider struct{}

func (serviceProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	c := tw.ecs
	cl := c.cluster(tw, str(props["Cluster"]))
	name := str(props["ServiceName"])
	if name == "" {
		name = physicalName(tw, st, r.logical, 255)
	}
	cfg := map[string]any{}
	if dc := props["DeploymentConfiguration"]; dc != nil {
		cfg = mergeConfig(map[string]any{}, camel(dc).(map[string]any))
	}
	if aerr := checkConfig(cfg); aerr != nil {
		return nil, aerr
	}
	svc := &ecsService{name: name, cluster: cl.name, status: "ACTIVE", taskDef: str(props["TaskDefinition"]),
		// "For new services, if a desired count is not specified, a default
		// value of 1 is used." (CFN, AWS::ECS::Service DesiredCount)
		desired: intOf(props["DesiredCount"], 1), config: cfg, settings: map[string]any{}, createdAt: tw.Clock.Now(),
		arn: fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", Region, Account, cl.name, name)}
	if c.taskDefs[svc.taskDef] == nil {
		return nil, fmt.Errorf("ClientException: TaskDefinition not found.")
	}
	for _, lb := range asList(props["LoadBalancers"]) {
		svc.lbs = append(svc.lbs, camel(lb).(map[string]any))
	}
	for _, k := range serviceSettings {
		if v, ok := props[k]; ok {
			svc.settings[lowerFirst(k)] = camel(v)
		}
	}
	if old := c.services[svc.arn]; old != nil && old.status == "ACTIVE" {
		return nil, fmt.Errorf("InvalidParameterException: Creation of service was not idempotent.")
	}
	c.services[svc.arn] = svc
	d := c.startDeployment(tw, svc, tw.Clock.Now())
	r.physical = svc.arn
	r.attrs = map[string]any{"Name": name, "ServiceArn": svc.arn}
	return waitForDeployment(d), nil
}

// waitForDeployment is how CloudFormation's handler waits for a service
// to stabilize: the deployment it started must succeed; an ECS rollback
// or stop fails the resource once ECS is done (B30: "ECS will rollback the
// deployment to previous service version and signal to CloudFormation once
// rollback is complete").
func waitForDeployment(d *deployment) waitFunc {
	if d == nil {
		return nil
	}
	return func() (bool, error) {
		switch d.status {
		case "SUCCESSFUL":
			return true, nil
		case "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "STOPPED":
			reason := d.statusReason
			if strings.Contains(reason, "Circuit Breaker") {
				return false, fmt.Errorf("Error occurred during operation 'ECS Deployment Circuit Breaker was triggered.'")
			}
			return false, fmt.Errorf("ECS service deployment %s ended %s: %s", d.arn, d.status, reason)
		}
		return false, nil
	}
}

// update is the handler's UpdateService (B38): a property removed from the
// template is left out of the request, so ECS keeps it (B34); a
// DeploymentConfiguration member dropped from a declared block is left out
// too, unless the AbsentPropertyResets switch says the handler resets it.
// The force flag follows B50.
func (serviceProvider) update(tw *Twin, st *cfnStack, r *cfnResource, old, props map[string]any, rollback bool) (waitFunc, error) {
	c := tw.ecs
	svc := c.services[r.physical]
	if svc == nil || svc.status != "ACTIVE" {
		return nil, fmt.Errorf("ServiceNotFoundException: Service not found.")
	}
	u := serviceUpdate{taskDef: str(props["TaskDefinition"]), settings: map[string]any{}}
	if v, ok := props["DesiredCount"]; ok {
		// "For existing services, if a desired count is not specified, it is
		// omitted from the operation." (CFN, AWS::ECS::Service DesiredCount)
		n := intOf(v, 0)
		u.desired = &n
	}
	if dc := props["DeploymentConfiguration"]; dc != nil {
		cfg := camel(dc).(map[string]any)
		if tw.opts.Switches.AbsentPropertyResets {
			if _, ok := cfg["lifecycleHooks"]; !ok {
				cfg["lifecycleHooks"] = []any{}
			}
			if _, ok := cfg["alarms"]; !ok {
				cfg["alarms"] = map[string]any{"alarmNames": []any{}, "enable": false, "rollback": false}
			}
			if _, ok := cfg["strategy"]; !ok {
				cfg["strategy"] = "ROLLING"
			}
		}
		u.config = cfg
	}
	if v, ok := props["LoadBalancers"]; ok {
		u.lbsSent = true
		for _, lb := range asList(v) {
			u.lbs = append(u.lbs, camel(lb).(map[string]any))
		}
	}
	for _, k := range serviceSettings {
		if v, ok := props[k]; ok {
			u.settings[lowerFirst(k)] = camel(v)
		}
	}
	// B50: "When you change the ForceNewDeploymentNonce value in your
	// template, it signals Amazon ECS to start a new deployment even though
	// no other service parameters have changed." (CFN, ForceNewDeployment).
	// Whether EnableForceNewDeployment: true also forces every other update
	// is unconfirmed: the ForceOnEveryUpdate switch.
	fnd, oldFnd := asMap(props["ForceNewDeployment"]), asMap(old["ForceNewDeployment"])
	if boolOf(fnd["EnableForceNewDeployment"]) {
		u.force = tw.opts.Switches.ForceOnEveryUpdate || str(fnd["ForceNewDeploymentNonce"]) != str(oldFnd["ForceNewDeploymentNonce"])
	}
	d, aerr := c.updateService(tw, svc, u, tw.Clock.Now())
	if aerr != nil {
		return nil, aerr
	}
	return waitForDeployment(d), nil
}

func (serviceProvider) remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error) {
	c := tw.ecs
	svc := c.services[r.physical]
	if svc == nil {
		return nil, nil
	}
	now := tw.Clock.Now()
	svc.desired = 0
	svc.status = "DRAINING"
	for _, d := range svc.deployments {
		if !d.terminal() {
			d.status, d.finishedAt = "STOPPED", now
		}
	}
	for _, t := range c.tasks {
		if t.service == svc.arn {
			c.stopTask(tw, t, "Service deleted", now)
		}
	}
	return func() (bool, error) {
		for _, t := range c.tasks {
			if t.service == svc.arn && t.lastStatus != "STOPPED" {
				return false, nil
			}
		}
		svc.status = "INACTIVE"
		return true, nil
	}, nil
}
