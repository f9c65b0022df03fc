using Microsoft.EntityFrameworkCore;

namespace CasbTestIdentityProvider;

/// <summary>OpenIddict's applications, authorizations and tokens, in memory.</summary>
internal sealed class IdentityProviderDbContext(DbContextOptions<IdentityProviderDbContext> options) : DbContext(options);
