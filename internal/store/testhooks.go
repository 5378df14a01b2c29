package store

// SetRepeatGenerations sets the size of the record path's repeat set
// (repeatGeneration) and of the batch rows' (batchRepeatGeneration), and
// returns what restores them. It is for tests outside the package that
// need one path to drop a repeat on arrival and the other to leave it to
// Finish, which must come to the same report (ingest/parquet's
// TestBatchPathSameAnalysis); both sizes are 4,096 by default. Not safe
// while a store is in use.
func SetRepeatGenerations(record, batch int) (restore func()) {
	r, b := repeatGeneration, batchRepeatGeneration
	repeatGeneration, batchRepeatGeneration = record, batch
	return func() { repeatGeneration, batchRepeatGeneration = r, b }
}
