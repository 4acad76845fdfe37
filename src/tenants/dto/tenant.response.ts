export interface TenantResponse {
  id: string;
  name: string;
  createdAt: string;
}

export interface ApiKeyResponse {
  id: string;
  tenantId: string;
  name: string | null;
  createdAt: string;
}

export interface CreatedApiKeyResponse extends ApiKeyResponse {
  /** Shown once, here only. */
  key: string;
}
