// CaseStore
