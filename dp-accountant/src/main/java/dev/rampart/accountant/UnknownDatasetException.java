package dev.rampart.accountant;

/** The ledger has no account for this dataset: open one with a budget first. */
public final class UnknownDatasetException extends IllegalArgumentException {
  public UnknownDatasetException(String datasetId) {
    super("no privacy budget is registered for dataset " + datasetId + ": open it in the ledger first");
  }
}
