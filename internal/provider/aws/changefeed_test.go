package aws

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

const smARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/db-a1B2c3"

func TestParseEventNamesTheChangedKeys(t *testing.T) {
	cloudTrail := func(source, name, request, response string) string {
		return fmt.Sprintf(`{"version":"0","id":"1","detail-type":"AWS API Call via CloudTrail","source":%q,
			"account":"123456789012","time":"2026-01-02T03:04:05Z","region":"eu-west-1","resources":[],
			"detail":{"eventSource":"x.amazonaws.com","eventName":%q,"requestParameters":%s,"responseElements":%s}}`,
			source, name, request, response)
	}
	for _, tt := range []struct {
		name string
		body string
		keys []string
	}{
		{"PutSecretValue by ARN", cloudTrail("aws.secretsmanager", "PutSecretValue",
			`{"secretId":"`+smARN+`","clientRequestToken":"t"}`, `{"arn":"`+smARN+`","versionId":"v"}`),
			[]string{smARN, "team/db"}},
		{"UpdateSecret by name", cloudTrail("aws.secretsmanager", "UpdateSecret",
			`{"secretId":"team/db"}`, `{"aRN":"`+smARN+`","name":"team/db"}`), []string{"team/db", smARN}},
		{"RotationSucceeded", `{"detail-type":"AWS Service Event via CloudTrail","source":"aws.secretsmanager",
			"time":"2026-01-02T03:04:05Z","detail":{"eventName":"RotationSucceeded","additionalEventData":{"SecretId":"` + smARN + `"}}}`,
			[]string{smARN, "team/db"}},
		{"PutParameter", cloudTrail("aws.ssm", "PutParameter", `{"name":"/app/db","type":"SecureString","overwrite":true}`,
			`{"version":3,"tier":"Standard"}`), []string{"/app/db"}},
		{"DeleteParameters", cloudTrail("aws.ssm", "DeleteParameters", `{"names":["/a","/b"]}`, `null`), []string{"/a", "/b"}},
		{"Parameter Store Change", `{"version":"0","detail-type":"Parameter Store Change","source":"aws.ssm",
			"time":"2026-01-02T03:04:05Z","resources":["arn:aws:ssm:eu-west-1:123456789012:parameter/app/db"],
			"detail":{"operation":"Update","name":"/app/db","type":"SecureString","description":""}}`, []string{"/app/db"}},
		{"failed call changes nothing", `{"detail-type":"AWS API Call via CloudTrail","source":"aws.secretsmanager",
			"detail":{"eventName":"PutSecretValue","errorCode":"AccessDenied","requestParameters":{"secretId":"team/db"}}}`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := parseEvent(tt.body)
			if c.Malformed || !slices.Equal(c.Keys, tt.keys) {
				t.Errorf("keys = %q (malformed %v), want %q", c.Keys, c.Malformed, tt.keys)
			}
		})
	}
	for _, bad := range []string{"", "not json", `{"detail":{}}`, `[1,2]`} {
		if c := parseEvent(bad); !c.Malformed || len(c.Keys) != 0 {
			t.Errorf("parseEvent(%q) = %+v, want malformed", bad, c)
		}
	}
}

func TestSQSFeedReceivesAndDeletesEvents(t *testing.T) {
	ctx := testContext(t)
	moto := testenv.MustStartMoto(t)
	q := sqs.NewFromConfig(seedConfig(moto.Endpoint), func(o *sqs.Options) { o.BaseEndpoint = aws.String(moto.Endpoint) })
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("changes")})
	if err != nil {
		t.Fatal(err)
	}
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	credentialsSecret(t, ns)
	store := secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Auth: staticAuth()})
	p := New(WithEndpoint(moto.Endpoint)).(provider.ChangeFeeder)
	if feed, err := p.NewChangeFeed(ctx, store, controlPlane.Client, ns); feed != nil || err != nil {
		t.Fatalf("a store without the annotation has a feed: %v, %v", feed, err)
	}
	store.Annotations = map[string]string{AnnotationSQSQueueURL: aws.ToString(queue.QueueUrl), AnnotationSQSWaitSeconds: "1"}
	feed, err := p.NewChangeFeed(ctx, store, controlPlane.Client, ns)
	if err != nil || feed == nil {
		t.Fatalf("NewChangeFeed: %v, %v", feed, err)
	}
	body := `{"detail-type":"AWS API Call via CloudTrail","source":"aws.secretsmanager","time":"2026-01-02T03:04:05Z",
		"detail":{"eventName":"PutSecretValue","requestParameters":{"secretId":"team/db"}}}`
	for _, b := range []string{body, "garbage"} {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: queue.QueueUrl, MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []provider.Change
	testenv.Eventually(t, 30*time.Second, "two messages received", func() (bool, error) {
		changes, err := feed.Receive(ctx)
		got = append(got, changes...)
		return len(got) >= 2, err
	})
	var keys []string
	malformed := 0
	for _, c := range got {
		keys = append(keys, c.Keys...)
		if c.Malformed {
			malformed++
		}
	}
	if !slices.Equal(keys, []string{"team/db"}) || malformed != 1 {
		t.Errorf("received keys %q and %d malformed, want [team/db] and 1", keys, malformed)
	}
	// Received messages were deleted: the queue is empty.
	if changes, err := feed.Receive(ctx); err != nil || len(changes) != 0 {
		t.Errorf("after deletion Receive = %v, %v; want nothing", changes, err)
	}
	if _, err := q.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: queue.QueueUrl}); err != nil {
		t.Fatal(err)
	}
	if _, err := feed.Receive(ctx); err == nil {
		t.Error("Receive from a deleted queue succeeded; the feed must report it down")
	}
}
