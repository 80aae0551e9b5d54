package deploy

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
)

const motoTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  TopicName:
    Type: String
  Retention:
    Type: Number
    Default: 7
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Ref TopicName
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: !Ref Retention
Outputs:
  TopicArn:
    Value: !Ref Topic
`

// Proves: against moto, a real implementation of the CloudFormation API,
// the whole lifecycle works end to end: diff of a new stack cleans up after
// itself, deploy creates, a second deploy updates keeping the parameters
// it is not given, status reads the stack, and delete removes it and then
// finds nothing to delete. Moto stamps no ClientRequestToken on events, so
// this also runs the timestamp fallback of the event filter.
func TestLifecycleAgainstMoto(t *testing.T) {
	t.Parallel()
	m := testenv.StartMoto(t)
	client := cloudformation.New(cloudformation.Options{
		Region:       m.Region,
		BaseEndpoint: aws.String(m.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		Retryer:      newRetryer(nil),
	})
	rec := &recorder{}
	d := &Deployer{API: client, Sink: rec, PollInterval: 100 * time.Millisecond}
	ctx := context.Background()
	in := Input{
		StackName:    "moto-demo",
		TemplateBody: motoTemplate,
		Parameters:   map[string]string{"TopicName": "demo-topic"},
		Timeout:      time.Minute,
	}

	plan, err := d.Diff(ctx, in)
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	if len(plan.Changes) != 2 || plan.ChangeSetType != "CREATE" {
		t.Errorf("Diff plan = %+v; want two additions", plan)
	}
	if _, err := d.Status(ctx, in.StackName); !errors.Is(err, ErrStackNotFound) {
		t.Errorf("after Diff, Status = %v; want the review stack gone", err)
	}

	res, err := d.Deploy(ctx, in)
	if err != nil {
		t.Fatalf("Deploy (create): %v", err)
	}
	// moto leaves Outputs out of DescribeStacks for stacks made through
	// change sets, so outputs are checked against the simulator instead.
	if res.Status != statusCreateComplete || res.ChangeSetType != "CREATE" {
		t.Errorf("create Result = %+v", res)
	}
	if len(rec.resourceEvents()) == 0 {
		t.Error("no events reported for the create")
	}

	in.Parameters = map[string]string{"Retention": "14"}
	res, err = d.Deploy(ctx, in)
	if err != nil {
		t.Fatalf("Deploy (update): %v", err)
	}
	if res.ChangeSetType != "UPDATE" || res.Status != statusUpdateComplete {
		t.Errorf("update Result = %+v; want UPDATE_COMPLETE", res)
	}
	out, err := client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(in.StackName)})
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]string{}
	for _, p := range out.Stacks[0].Parameters {
		params[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	if params["TopicName"] != "demo-topic" || params["Retention"] != "14" {
		t.Errorf("parameters after the update = %v; want TopicName kept and Retention 14", params)
	}

	st, err := d.Status(ctx, in.StackName)
	if err != nil || st.Status != statusUpdateComplete {
		t.Errorf("Status = %+v, %v", st, err)
	}

	del, err := d.Delete(ctx, DeleteInput{StackName: in.StackName, Timeout: time.Minute})
	if err != nil || !del.Existed || del.Status != statusDeleteComplete {
		t.Fatalf("Delete = %+v, %v", del, err)
	}
	if del, err := d.Delete(ctx, DeleteInput{StackName: in.StackName}); err != nil || del.Existed {
		t.Errorf("second Delete = %+v, %v; want nothing to delete", del, err)
	}
}
