package pgstore

// Exported for the tests of package pgstore_test.
var (
	TSVectorLiteral = tsvectorLiteral
	TSQueryLiteral  = tsqueryLiteral
	VectorLiteral   = vectorLiteral
)
