package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestChangeEventsFromSQS: a store annotated with an SQS queue that EventBridge fills with
// Secrets Manager's CloudTrail events. A PutSecretValue event reaches the Secrets of hourly
// ExternalSecrets; an object that polls every 3 s polls at the safety interval instead
// while the feed is healthy; the store says when the feed fails (the queue is deleted) and
// when it receives again; while it is down, that object is back on its own interval, so a
// change made during the outage arrives by polling.
func TestChangeEventsFromSQS(t *testing.T) {
	ctx := context.Background()
	moto, sm, q, created, queue := sqsScenario(t, "ferry-changes")
	ns := "events-sqs"
	// Only ns: other tests' AWS stores would read from this moto and add to the calls counted.
	startFerry(t, motoEnv(moto), "--namespaces="+ns)
	sqsStore(t, ns, queue.QueueUrl)
	createAWSES(t, ns, "app-a", "db")
	createAWSES(t, ns, "app-b", "db")
	createAWSESEvery(t, ns, "app-c", "db", 3*time.Second)
	for _, name := range []string{"app-a", "app-b", "app-c"} {
		waitSecretPassword(t, ns, name, "one")
	}
	waitFeedCondition(t, ns, "True")

	put := func(value string) {
		t.Helper()
		if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("db"),
			SecretString: aws.String(fmt.Sprintf(`{"password":%q}`, value))}); err != nil {
			t.Fatal(err)
		}
	}
	sendEvent := func() {
		t.Helper()
		body := testenv.CloudTrailPutSecretValue(aws.ToString(created.ARN), time.Now())
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: queue.QueueUrl, MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	put("two")
	sendEvent()
	for _, name := range []string{"app-a", "app-b", "app-c"} {
		waitSecretPassword(t, ns, name, "two")
	}
	// While the feed is healthy the 3 s object polls at the safety interval (an hour).
	reads := func() int {
		return moto.Calls("GetSecretValue") + moto.Calls("BatchGetSecretValue") + moto.Calls("ListSecrets") + moto.Calls("DescribeSecret")
	}
	before := reads()
	time.Sleep(8 * time.Second) // an absence window: two or three of app-c's own intervals
	if got := reads() - before; got != 0 {
		t.Errorf("%d provider reads in 8 s with a healthy feed, want 0: the 3 s object should poll hourly", got)
	}

	// The queue goes away: the store reports the feed down, and a change made now reaches
	// the 3 s object by its own interval; the hourly ones wait for theirs.
	if _, err := q.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: queue.QueueUrl}); err != nil {
		t.Fatal(err)
	}
	waitFeedCondition(t, ns, "False")
	put("during-outage")
	waitSecretPassword(t, ns, "app-c", "during-outage")
	if got := password(t, ns, "app-a"); got != "two" {
		t.Errorf("app-a (hourly) = %q during the outage, want \"two\" until its own interval", got)
	}
	// The queue returns: the feed receives again and events flow.
	if _, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ferry-changes")}); err != nil {
		t.Fatal(err)
	}
	waitFeedCondition(t, ns, "True")
	put("three")
	sendEvent()
	for _, name := range []string{"app-a", "app-b", "app-c"} {
		waitSecretPassword(t, ns, name, "three")
	}
}

// sqsScenario starts moto with the secret "db" ({"password":"one"}) and an SQS queue.
func sqsScenario(t *testing.T, queueName string) (*testenv.Moto, *secretsmanager.Client, *sqs.Client,
	*secretsmanager.CreateSecretOutput, *sqs.CreateQueueOutput) {
	t.Helper()
	ctx := context.Background()
	moto := testenv.MustStartMoto(t)
	sm := secretsManager(t, moto.Endpoint)
	q := sqsClient(t, moto.Endpoint)
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String(`{"password":"one"}`)})
	if err != nil {
		t.Fatal(err)
	}
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queueName)})
	if err != nil {
		t.Fatal(err)
	}
	return moto, sm, q, created, queue
}

// sqsStore creates the namespace and its SecretStore "aws", fed by the queue.
func sqsStore(t *testing.T, ns string, queueURL *string) {
	t.Helper()
	ensureNamespace(t, ns)
	mustCreate(t, &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws", Annotations: map[string]string{
		"events.ferry.dev/aws-sqs-queue-url": aws.ToString(queueURL), "events.ferry.dev/aws-sqs-wait-seconds": "2"}},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{AWS: &esv1.AWSProvider{
			Service: esv1.AWSServiceSecretsManager, Region: "eu-west-1"}}}})
}

func waitFeedCondition(t *testing.T, ns, status string) {
	t.Helper()
	testenv.Eventually(t, 90*time.Second, "EventFeed condition "+status, func() (bool, error) {
		var store esv1.SecretStore
		if err := cp.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "aws"}, &store); err != nil {
			return false, err
		}
		for _, c := range store.Status.Conditions {
			if c.Type == "EventFeed" {
				return string(c.Status) == status, nil
			}
		}
		return false, nil
	})
}

func sqsClient(t *testing.T, endpoint string) *sqs.Client {
	t.Helper()
	return sqs.NewFromConfig(testAWSConfig(t), func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// TestChangeEventsAfterRestart: Ferry restarts with an hourly ExternalSecret in sync, so the
// new process has no reason to read it for an hour. A change event that arrives then must
// still reach it: the process indexes what each object reads on its first look, not only
// when it reads.
func TestChangeEventsAfterRestart(t *testing.T) {
	ctx := context.Background()
	moto, sm, q, created, queue := sqsScenario(t, "ferry-changes-restart")
	first := startReplica(t, "first", motoEnv(moto), "--leader-elect=false")
	ns := "events-restart"
	sqsStore(t, ns, queue.QueueUrl)
	createAWSES(t, ns, "app", "db")
	waitSecretPassword(t, ns, "app", "one")
	waitFeedCondition(t, ns, "True")

	first.kill(t)
	port := freePort(t)
	startReplica(t, "second", motoEnv(moto), "--leader-elect=false", "--metrics-bind-address=127.0.0.1:"+port)
	// The new process has looked at the object (and found it in sync) once it reports its
	// Ready condition.
	testenv.Eventually(t, 60*time.Second, "the new process reports app Ready", func() (bool, error) {
		return scrape(t, port)[`externalsecret_status_condition{condition="Ready",name="app",namespace="`+ns+`",status="True"}`] == 1, nil
	})
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("db"),
		SecretString: aws.String(`{"password":"two"}`)}); err != nil {
		t.Fatal(err)
	}
	body := testenv.CloudTrailPutSecretValue(aws.ToString(created.ARN), time.Now())
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: queue.QueueUrl, MessageBody: aws.String(body)}); err != nil {
		t.Fatal(err)
	}
	waitSecretPassword(t, ns, "app", "two")
}
