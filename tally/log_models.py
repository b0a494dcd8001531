"""The tables of the count's public log (see `tally.log`). Imported by `tally.models`.

- `LogEntry`: one +1/-1 of the people count, append-only, indexed from 0.
- `LogNode`: the hash of each complete perfect subtree of level >= 1 (level 0 is `LogEntry.leaf_hash`),
  so that roots and proofs read O(log n) rows.
- `SignedTreeHead`: a signed (tree_size, root_hash, counted, timestamp).
- `LogSigningKey`: every key that ever signed a head (public part published for ever); `seed` is kept
  only for the key generated on the embedded defaults.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class LogEntry(models.Model):
    index = models.BigIntegerField(primary_key=True)
    commitment = models.CharField(max_length=64)
    day = models.DateField()
    delta = models.SmallIntegerField()
    kinds = models.CharField(max_length=64, help_text="Sorted kinds joined by '+'.")
    leaf_hash = models.BinaryField(max_length=32)

    class Meta:
        # Found by exact commitment only: a plain index, not db_index (whose LIKE twin on PostgreSQL
        # doubled the random-place index writes of every append; migration 0008).
        indexes = [models.Index(fields=["commitment"], name="tally_logentry_commitment")]
        constraints = [
            models.CheckConstraint(condition=Q(delta__in=[1, -1]), name="tally_logentry_delta_one"),
            models.CheckConstraint(condition=Q(index__gte=0), name="tally_logentry_index_not_negative"),
        ]

    def __str__(self) -> str:
        return f"log #{self.index}: {self.delta:+d}"


class LogNode(models.Model):
    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="tally_lognode_unique")]

    def __str__(self) -> str:
        return f"node({self.level}, {self.index})"


class LogSigningKey(models.Model):
    key_id = models.CharField(max_length=16, unique=True)
    public_key = models.CharField(max_length=44, help_text="Base64 of the raw 32-byte Ed25519 public key.")
    # Only for the key generated on the embedded defaults; production keys come from LOG_SIGNING_KEY.
    seed = models.CharField(max_length=44, blank=True, default="", editable=False)
    first_used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["first_used_at", "id"]

    def __str__(self) -> str:
        return f"log key {self.key_id}"


class SignedTreeHead(models.Model):
    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    counted = models.BigIntegerField()
    timestamp = models.CharField(max_length=40, help_text="ISO 8601, exactly as signed.")
    signature = models.CharField(max_length=88)
    key_id = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-tree_size"]
        get_latest_by = "tree_size"

    def __str__(self) -> str:
        return f"head {self.tree_size} {self.root_hash[:12]}"
