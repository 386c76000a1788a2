"""Input shapes of DynamoDB Streams (``DynamoDBStreams_20120810``), one module per operation."""
