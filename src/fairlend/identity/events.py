"""What identity publishes: no personal data in any payload, because the outbox is stored in clear."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from fairlend.identity.model import CertificateKind, CertificateStatus, ConsentPurpose, KycLevel, KycMethod, Role
from fairlend.money import Money


@dataclass(frozen=True, slots=True)
class PersonRegistered:
    event_type: ClassVar[str] = "identity.PersonRegistered"
    person_id: str
    role: Role
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.person_id


@dataclass(frozen=True, slots=True)
class KycLevelReached:
    event_type: ClassVar[str] = "identity.KycLevelReached"
    person_id: str
    level: KycLevel
    method: KycMethod
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.person_id


@dataclass(frozen=True, slots=True)
class TimezoneChanged:
    """Collections re-reads contact windows in the new zone."""

    event_type: ClassVar[str] = "identity.TimezoneChanged"
    person_id: str
    timezone: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.person_id


@dataclass(frozen=True, slots=True)
class BankCardBound:
    event_type: ClassVar[str] = "identity.BankCardBound"
    person_id: str
    card_id: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.person_id


@dataclass(frozen=True, slots=True)
class CertificateUploaded:
    event_type: ClassVar[str] = "identity.CertificateUploaded"
    person_id: str
    certificate_id: str
    kind: CertificateKind
    amount: Money
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.person_id


@dataclass(frozen=True, slots=True)
class CertificateReviewed:
    event_type: ClassVar[str] = "identity.CertificateReviewed"
    person_id: str
    certificate_id: str
    status: CertificateStatus
    reviewed_by: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.person_id


@dataclass(frozen=True, slots=True)
class ConsentGiven:
    event_type: ClassVar[str] = "identity.ConsentGiven"
    person_id: str
    consent_id: str
    purpose: ConsentPurpose
    institution: str
    text_version: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.person_id


@dataclass(frozen=True, slots=True)
class ConsentRevoked:
    event_type: ClassVar[str] = "identity.ConsentRevoked"
    person_id: str
    consent_id: str
    purpose: ConsentPurpose
    institution: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.person_id


@dataclass(frozen=True, slots=True)
class OperatorCreated:
    event_type: ClassVar[str] = "identity.OperatorCreated"
    operator_id: str
    role: Role
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.operator_id


@dataclass(frozen=True, slots=True)
class OperatorDisabled:
    event_type: ClassVar[str] = "identity.OperatorDisabled"
    operator_id: str
    disabled_by: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.operator_id
