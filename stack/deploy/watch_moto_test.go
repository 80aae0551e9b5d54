package deploy

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
)

// Proves: against moto's ECS, which keeps services but runs no tasks, the
// watcher's real calls are accepted (no read is reported denied), it finds
// the service's deployment, and it reports no stopped task and no cause:
// it stays quiet and correct where nothing fails.
func TestWatcherAgainstMoto(t *testing.T) {
	t.Parallel()
	m := testenv.SharedMoto(t)
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	client := ecs.New(ecs.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), Credentials: creds, Retryer: newRetryer(nil)})
	logs := cloudwatchlogs.New(cloudwatchlogs.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), Credentials: creds, Retryer: newRetryer(nil)})
	ctx := t.Context()
	since := time.Now()
	if _, err := client.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("watch-cluster")}); err != nil {
		t.Fatal(err)
	}
	td, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("watch"), RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		NetworkMode: ecstypes.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("nginx"), Essential: aws.Bool(true)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("watch-cluster"), ServiceName: aws.String("web"), TaskDefinition: td.TaskDefinition.TaskDefinitionArn,
		DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate,
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &watch.Watcher{ECS: client, Logs: logs, Limiter: watch.NewLimiter(100, 10), Target: watch.Target{
		Cluster: "watch-cluster", Service: aws.ToString(svc.Service.ServiceArn), LogGroup: "/ecs/watch", LogStreamPrefix: "watch", Since: since,
	}}
	var facts []watch.Fact
	for range 4 {
		w.Poll(ctx, func(f watch.Fact) { facts = append(facts, f) })
	}
	for _, f := range facts {
		switch f := f.(type) {
		case watch.Denied, watch.TaskStopped:
			t.Errorf("unexpected %T against moto: %+v", f, f)
		}
	}
	// The deployment is the one moto said it started.
	var found bool
	for _, f := range facts {
		if r, ok := f.(watch.Rollout); ok && len(svc.Service.Deployments) > 0 && r.Deployment == aws.ToString(svc.Service.Deployments[0].Id) {
			found = true
		}
	}
	if !found {
		t.Errorf("no rollout of the service's deployment among %+v", facts)
	}
	if v := w.Verdict(); v.Cause != nil || v.Stopped != 0 {
		t.Errorf("verdict = %+v, want nothing wrong", v)
	}
}
