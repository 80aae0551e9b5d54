package operate

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// ServiceStatus is what status shows of a stack's service: the image it
// runs, its task counts and its newest deployment.
type ServiceStatus struct {
	Service string `json:"service"`
	Cluster string `json:"cluster"`
	// Image is the application container's image in the task definition
	// of the newest deployment.
	Image   string `json:"image,omitempty"`
	Desired int32  `json:"desired"`
	Running int32  `json:"running"`
	Pending int32  `json:"pending"`
	// Deployment is the service's newest deployment (ECS keeps the
	// PRIMARY one and those it replaces).
	Deployment *ServiceDeployment `json:"latestDeployment,omitempty"`
}

// ServiceDeployment is one of an ECS service's deployments.
type ServiceDeployment struct {
	ID string `json:"id"`
	// Status is PRIMARY (the newest), ACTIVE or INACTIVE; Rollout is
	// IN_PROGRESS, COMPLETED or FAILED, with Reason.
	Status         string    `json:"status"`
	Rollout        string    `json:"rollout,omitempty"`
	Reason         string    `json:"reason,omitempty"`
	TaskDefinition string    `json:"taskDefinition"`
	Running        int32     `json:"running"`
	Failed         int32     `json:"failed"`
	Updated        time.Time `json:"updated"`
}

// DescribeService reads the state of the stack's service. A stack that
// does not exist wraps deploy.ErrStackNotFound; one without a service
// (still being created, or not a cfnfargate stack), ErrNoService.
func DescribeService(ctx context.Context, c Clients, stackName string) (*ServiceStatus, error) {
	res, err := deploy.Locate(ctx, c.CloudFormation, stackName)
	if err != nil {
		return nil, err
	}
	if res.ServiceARN == "" || res.Cluster == "" {
		return nil, fmt.Errorf("stack %s: %w", stackName, ErrNoService)
	}
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(res.Cluster), Services: []string{res.ServiceARN}})
	if err != nil {
		return nil, callError("ecs:DescribeServices", "describe service "+res.Service, err)
	}
	if len(out.Services) == 0 {
		return nil, fmt.Errorf("stack %s: service %s: %w", stackName, res.Service, ErrNoService)
	}
	s := out.Services[0]
	st := &ServiceStatus{Service: aws.ToString(s.ServiceName), Cluster: res.Cluster, Desired: s.DesiredCount, Running: s.RunningCount, Pending: s.PendingCount}
	taskDefinition := aws.ToString(s.TaskDefinition)
	for _, d := range s.Deployments {
		if st.Deployment != nil && aws.ToString(d.Status) != "PRIMARY" {
			continue
		}
		st.Deployment = &ServiceDeployment{ID: aws.ToString(d.Id), Status: aws.ToString(d.Status), Rollout: string(d.RolloutState),
			Reason: aws.ToString(d.RolloutStateReason), TaskDefinition: aws.ToString(d.TaskDefinition),
			Running: d.RunningCount, Failed: d.FailedTasks, Updated: aws.ToTime(d.UpdatedAt)}
		if d.TaskDefinition != nil {
			taskDefinition = aws.ToString(d.TaskDefinition)
		}
		if st.Deployment.Status == "PRIMARY" {
			break
		}
	}
	if taskDefinition != "" {
		td, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(taskDefinition)})
		if err != nil {
			return nil, callError("ecs:DescribeTaskDefinition", "describe task definition "+taskDefinition, err)
		}
		// cfnfargate's task definition has one container, the application.
		if td.TaskDefinition != nil && len(td.TaskDefinition.ContainerDefinitions) > 0 {
			st.Image = aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image)
		}
	}
	return st, nil
}
