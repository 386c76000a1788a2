"""Pipelines above the engine: Kafka ingestion through write rules (more sources and sinks to come).

Everything here speaks the DynamoDB API through :class:`dynaflow.dynamo.client.DynamoClient`, so it
runs unchanged on the embedded engine and on any DynamoDB endpoint.
"""
