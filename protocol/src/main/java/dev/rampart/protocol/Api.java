package dev.rampart.protocol;

import dev.rampart.protocol.v1.*;
import java.util.List;

/** Every RPC of {@code rampart.proto} (the .proto file is the contract; this mirrors its services). */
public final class Api {
  private Api() {}

  public static final RpcMethod<AttestRequest, AttestResponse> ATTEST =
      new RpcMethod<>("Attestation", "Attest", AttestRequest.getDefaultInstance(), AttestResponse.getDefaultInstance());
  public static final RpcMethod<WhoAmIRequest, Principal> WHO_AM_I =
      new RpcMethod<>("Principals", "WhoAmI", WhoAmIRequest.getDefaultInstance(), Principal.getDefaultInstance());
  public static final RpcMethod<EnrollRequest, Principal> ENROLL =
      new RpcMethod<>("Principals", "Enroll", EnrollRequest.getDefaultInstance(), Principal.getDefaultInstance());
  public static final RpcMethod<RevokeRequest, Principal> REVOKE =
      new RpcMethod<>("Principals", "Revoke", RevokeRequest.getDefaultInstance(), Principal.getDefaultInstance());
  public static final RpcMethod<ListPrincipalsRequest, ListPrincipalsResponse> LIST_PRINCIPALS =
      new RpcMethod<>("Principals", "List", ListPrincipalsRequest.getDefaultInstance(), ListPrincipalsResponse.getDefaultInstance());
  public static final RpcMethod<BeginUploadRequest, BeginUploadResponse> BEGIN_UPLOAD =
      new RpcMethod<>("Datasets", "BeginUpload", BeginUploadRequest.getDefaultInstance(), BeginUploadResponse.getDefaultInstance());
  public static final RpcMethod<UploadChunkRequest, UploadChunkResponse> UPLOAD_CHUNK =
      new RpcMethod<>("Datasets", "UploadChunk", UploadChunkRequest.getDefaultInstance(), UploadChunkResponse.getDefaultInstance());
  public static final RpcMethod<FinishUploadRequest, DatasetInfo> FINISH_UPLOAD =
      new RpcMethod<>("Datasets", "FinishUpload", FinishUploadRequest.getDefaultInstance(), DatasetInfo.getDefaultInstance());
  public static final RpcMethod<ListDatasetsRequest, ListDatasetsResponse> LIST_DATASETS =
      new RpcMethod<>("Datasets", "List", ListDatasetsRequest.getDefaultInstance(), ListDatasetsResponse.getDefaultInstance());
  public static final RpcMethod<SetLicenseRequest, DatasetInfo> SET_LICENSE =
      new RpcMethod<>("Datasets", "SetLicense", SetLicenseRequest.getDefaultInstance(), DatasetInfo.getDefaultInstance());
  public static final RpcMethod<RequestApprovalRequest, ApprovalRequest> REQUEST_APPROVAL =
      new RpcMethod<>("Approvals", "Request", RequestApprovalRequest.getDefaultInstance(), ApprovalRequest.getDefaultInstance());
  public static final RpcMethod<ListApprovalsRequest, ListApprovalsResponse> LIST_APPROVALS =
      new RpcMethod<>("Approvals", "List", ListApprovalsRequest.getDefaultInstance(), ListApprovalsResponse.getDefaultInstance());
  public static final RpcMethod<DecideApprovalRequest, ApprovalRequest> DECIDE_APPROVAL =
      new RpcMethod<>("Approvals", "Decide", DecideApprovalRequest.getDefaultInstance(), ApprovalRequest.getDefaultInstance());
  public static final RpcMethod<ExportJournalRequest, ExportJournalResponse> EXPORT_JOURNAL =
      new RpcMethod<>("Audit", "Export", ExportJournalRequest.getDefaultInstance(), ExportJournalResponse.getDefaultInstance());

  public static final RpcMethod<SubmitJobRequest, Job> SUBMIT_JOB =
      new RpcMethod<>("Jobs", "Submit", SubmitJobRequest.getDefaultInstance(), Job.getDefaultInstance());
  public static final RpcMethod<ListJobsRequest, ListJobsResponse> LIST_JOBS =
      new RpcMethod<>("Jobs", "List", ListJobsRequest.getDefaultInstance(), ListJobsResponse.getDefaultInstance());
  public static final RpcMethod<GetJobRequest, Job> GET_JOB =
      new RpcMethod<>("Jobs", "Get", GetJobRequest.getDefaultInstance(), Job.getDefaultInstance());
  public static final RpcMethod<CancelJobRequest, Job> CANCEL_JOB =
      new RpcMethod<>("Jobs", "Cancel", CancelJobRequest.getDefaultInstance(), Job.getDefaultInstance());
  public static final RpcMethod<FetchModelRequest, FetchModelResponse> FETCH_MODEL =
      new RpcMethod<>("Jobs", "FetchModel", FetchModelRequest.getDefaultInstance(), FetchModelResponse.getDefaultInstance());
  public static final RpcMethod<EvaluateRequest, EvaluateResponse> EVALUATE =
      new RpcMethod<>("Jobs", "Evaluate", EvaluateRequest.getDefaultInstance(), EvaluateResponse.getDefaultInstance());

  /** All methods, for servers that must answer every one of them. */
  public static final List<RpcMethod<?, ?>> ALL = List.of(ATTEST, WHO_AM_I, ENROLL, REVOKE, LIST_PRINCIPALS, BEGIN_UPLOAD, UPLOAD_CHUNK, FINISH_UPLOAD, LIST_DATASETS, SET_LICENSE, REQUEST_APPROVAL, LIST_APPROVALS, DECIDE_APPROVAL, EXPORT_JOURNAL,
      SUBMIT_JOB, LIST_JOBS, GET_JOB, CANCEL_JOB, FETCH_MODEL, EVALUATE);
}
