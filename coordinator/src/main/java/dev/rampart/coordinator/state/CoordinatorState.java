package dev.rampart.coordinator.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.rampart.protocol.v1.ApprovalDecision;
import dev.rampart.protocol.v1.ApprovalRequest;
import dev.rampart.protocol.v1.ApprovalState;
import dev.rampart.protocol.v1.DatasetManifest;
import dev.rampart.protocol.v1.License;
import dev.rampart.protocol.v1.Principal;
import dev.rampart.protocol.v1.Role;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the coordinator knows about principals, datasets and approvals, rebuilt at boot by replaying the
 * audit journal ({@link #apply}) and changed at run time only by appending an entry and applying it, so the
 * journal is the single source of truth. Thread-safe; reads return immutable protobuf values.
 */
public final class CoordinatorState {
  /** Journal entry types that change this state. */
  public static final String ENROLLED = "principal.enrolled";
  public static final String REVOKED = "principal.revoked";
  public static final String DATASET_STORED = "dataset.stored";
  public static final String LICENSE_SET = "license.set";
  public static final String APPROVAL_REQUESTED = "approval.requested";
  public static final String APPROVAL_DECIDED = "approval.decided";

  /** A dataset as stored. */
  public record Dataset(DatasetManifest manifest, String ownerFingerprint, License license, long storedAtMillis) {
    public String id() {
      return manifest.getDatasetId();
    }
  }

  private final Map<String, Principal> principals = new LinkedHashMap<>();
  private final Map<String, Dataset> datasets = new LinkedHashMap<>();
  private final Map<String, ApprovalRequest> approvals = new LinkedHashMap<>();

  /** Applies one journal entry's payload. Unknown types (boot, later job events) are ignored here. */
  public synchronized void apply(String type, JsonNode p, long timeMillis) {
    switch (type) {
      case ENROLLED -> principals.put(p.path("fingerprint").asText(), Principal.newBuilder()
          .setFingerprint(p.path("fingerprint").asText()).setRole(Role.valueOf(p.path("role").asText()))
          .setName(p.path("name").asText()).setEnrolledAtMillis(timeMillis).build());
      case REVOKED -> {
        Principal old = principals.get(p.path("fingerprint").asText());
        if (old != null) {
          principals.put(old.getFingerprint(), old.toBuilder().setRevoked(true).build());
        }
      }
      case DATASET_STORED -> {
        DatasetManifest m = parse(p.path("manifest"), DatasetManifest.newBuilder());
        datasets.put(m.getDatasetId(), new Dataset(m, p.path("owner").asText(),
            parse(p.path("license"), License.newBuilder()), timeMillis));
      }
      case LICENSE_SET -> {
        Dataset d = datasets.get(p.path("datasetId").asText());
        if (d != null) {
          datasets.put(d.id(), new Dataset(d.manifest(), d.ownerFingerprint(),
              parse(p.path("license"), License.newBuilder()), d.storedAtMillis()));
        }
      }
      case APPROVAL_REQUESTED -> {
        ApprovalRequest.Builder b = ApprovalRequest.newBuilder().setId(p.path("id").asText())
            .setKind(p.path("kind").asText()).setSubject(p.path("subject").asText())
            .setRequesterFingerprint(p.path("requester").asText())
            .setRequesterName(p.path("requesterName").asText()).setState(ApprovalState.PENDING)
            .setCreatedAtMillis(timeMillis);
        p.path("datasetIds").forEach(n -> b.addDatasetIds(n.asText()));
        p.path("pendingOwners").forEach(n -> b.addPendingOwners(n.asText()));
        approvals.put(b.getId(), b.build());
      }
      case APPROVAL_DECIDED -> {
        ApprovalRequest r = approvals.get(p.path("id").asText());
        if (r != null) {
          String owner = p.path("owner").asText();
          boolean approve = p.path("approve").asBoolean();
          List<String> pending = new ArrayList<>(r.getPendingOwnersList());
          pending.remove(owner);
          ApprovalRequest.Builder b = r.toBuilder().clearPendingOwners().addAllPendingOwners(pending)
              .addDecisions(ApprovalDecision.newBuilder().setOwnerFingerprint(owner)
                  .setOwnerName(p.path("ownerName").asText()).setApprove(approve)
                  .setReason(p.path("reason").asText()).setDecidedAtMillis(timeMillis));
          if (!approve) {
            b.setState(ApprovalState.DENIED);
          } else if (pending.isEmpty()) {
            b.setState(ApprovalState.APPROVED);
          }
          approvals.put(r.getId(), b.build());
        }
      }
      default -> { }
    }
  }

  /** A protobuf value as it is written into journal payloads: its canonical JSON. */
  public static String json(Message m) {
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static <T extends Message> T parse(JsonNode node, Message.Builder builder) {
    try {
      JsonFormat.parser().merge(node.toString(), builder);
      return (T) builder.build();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a journal payload does not parse: " + e.getMessage(), e);
    }
  }

  public synchronized Optional<Principal> principal(String fingerprint) {
    return Optional.ofNullable(principals.get(fingerprint));
  }

  public synchronized Optional<Principal> activePrincipalNamed(String name) {
    return principals.values().stream().filter(p -> !p.getRevoked() && p.getName().equals(name)).findFirst();
  }

  /** Any principal ever enrolled under this name, revoked or not. */
  public synchronized Optional<Principal> principalNamed(String name) {
    return principals.values().stream().filter(p -> p.getName().equals(name)).findFirst();
  }

  public synchronized List<Principal> principals() {
    return List.copyOf(principals.values());
  }

  public synchronized Optional<Dataset> dataset(String id) {
    return Optional.ofNullable(datasets.get(id));
  }

  public synchronized List<Dataset> datasets() {
    return List.copyOf(datasets.values());
  }

  public synchronized Optional<ApprovalRequest> approval(String id) {
    return Optional.ofNullable(approvals.get(id));
  }

  public synchronized List<ApprovalRequest> approvals() {
    return List.copyOf(approvals.values());
  }
}
